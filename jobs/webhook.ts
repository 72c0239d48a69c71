/**
 * The webhook job: a consumer of the `connection-events` queue that delivers each event to `WEBHOOK_URL`.
 *
 * Retries follow the same translation as every other job (`failOrRetry`), so they do not depend on the options of
 * the event jobs: any failure (no answer, timeout, a non-2xx status) is retried after `Retry-After` when given, else
 * with exponential backoff with jitter, until the delivery has been tried for `retryForMs`; then the job fails and
 * stays on the queue.
 */
import type { Job } from 'bullmq';
import type { ConnectionEvent } from '../src/domain/model.js';
import { deliverWebhook, type WebhookOptions } from '../src/events/webhook.js';
import type { Logger } from '../src/log.js';
import { ATTR } from '../src/telemetry/attributes.js';
import { inSpan } from '../src/telemetry/tracing.js';
import { failOrRetry, type RetryPolicy } from './job.js';

/** Longest pause between two deliveries of one event. */
const MAX_BACKOFF_MS = 3_600_000;

export interface WebhookRetry {
  /** How long a failing delivery is retried, from its first attempt. */
  retryForMs: number;
  /** First backoff delay; doubles each attempt, with full jitter. */
  backoffMs: number;
}

/** The processor of the webhook worker. */
export function webhookProcessor(options: WebhookOptions, retry: WebhookRetry, log: Logger) {
  const policy: RetryPolicy = { ...retry, maxDelayMs: MAX_BACKOFF_MS };
  return async (job: Job<ConnectionEvent>, token?: string): Promise<{ status: number }> => {
    try {
      const attributes = { [ATTR.eventId]: job.data.id, [ATTR.eventType]: job.data.type };
      return { status: await inSpan('webhook.deliver', attributes, () => deliverWebhook(job.data, options)) };
    } catch (error) {
      return failOrRetry(error, job, token, policy, log.child({ eventId: job.data.id, type: job.data.type }));
    }
  };
}
