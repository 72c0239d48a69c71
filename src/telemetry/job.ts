/**
 * The span of one job attempt (`connect`, `call`, …), a child of BullMQ's `process` span and so of the producer's
 * trace. It names the job, queue, attempt, owner, connection and connector, and ends with an outcome: `completed`,
 * `retry` (moved back to delayed) or `failed`; a failure also carries its error code (`error.type`).
 */
import type { Attributes } from '@opentelemetry/api';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { ATTR } from './attributes.js';
import { inJobSpan, recordFailure } from './tracing.js';

/** What a payload may say about the job's connection: only identifiers, never fields or secrets. */
function payloadAttributes(data: unknown): Attributes {
  const attributes: Attributes = {};
  if (!data || typeof data !== 'object') return attributes;
  const { owner, connectionId, connector } = data as Record<string, unknown>;
  if (typeof owner === 'string') attributes[ATTR.owner] = owner;
  if (typeof connectionId === 'string') attributes[ATTR.connectionId] = connectionId;
  if (typeof connector === 'string') attributes[ATTR.connector] = connector;
  return attributes;
}

/** Runs one attempt of `job` in its span. Without tracing: `run()`. */
export function traceJob<T>(job: Job, run: () => Promise<T>): Promise<T> {
  const attributes: Attributes = {
    [ATTR.messagingSystem]: 'bullmq',
    [ATTR.messagingOperation]: 'process',
    [ATTR.messagingDestination]: job.queueName,
    [ATTR.job]: job.name,
    [ATTR.attempt]: job.attemptsStarted,
    ...payloadAttributes(job.data),
  };
  if (job.id !== undefined) attributes[ATTR.messagingMessageId] = job.id;
  return inJobSpan(job.name, attributes, async (span) => {
    try {
      const result = await run();
      span.setAttribute(ATTR.outcome, 'completed');
      return result;
    } catch (error) {
      // The processor has recorded the error code already (`recordJobFailure`); what is thrown now is BullMQ's verdict.
      if (error instanceof DelayedError) span.setAttribute(ATTR.outcome, 'retry');
      else {
        span.setAttribute(ATTR.outcome, 'failed');
        if (!(error instanceof UnrecoverableError)) recordFailure(span, error);
      }
      throw error;
    }
  });
}
