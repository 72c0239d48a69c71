/**
 * The job registry and the processor that runs a BullMQ job through its definition: pickup hook → payload
 * validation → handler → result, with errors translated by `failOrRetry`.
 */
import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { Services } from '../src/connections/services.js';
import type { Logger } from '../src/log.js';
import type { JobName } from '../src/queue/names.js';
import { CALLS_QUEUE, CONNECTIONS_QUEUE } from '../src/queue/names.js';
import { parsePayload } from '../src/queue/schemas.js';
import { traceJob } from '../src/telemetry/job.js';
import { tracingOn } from '../src/telemetry/tracing.js';
import { attemptsUsed } from './budget-wait.js';
import { callJob } from './call.js';
import { connectJob } from './connect.js';
import { failOrRetry, type JobDefinition, type RetryPolicy } from './job.js';
import { refreshJob } from './refresh.js';
import { revokeJob } from './revoke.js';
import { testJob } from './test.js';

// biome-ignore lint/suspicious/noExplicitAny: a registry holds definitions of every job type
type AnyJobDefinition = JobDefinition<any>;

/** Which jobs each queue runs, by base name: call partitions and hash-tagged names share their base's jobs. */
export const JOBS_BY_QUEUE: Record<string, ReadonlyMap<JobName, AnyJobDefinition>> = {
  [CONNECTIONS_QUEUE]: new Map<JobName, AnyJobDefinition>([
    ['connect', connectJob],
    ['test', testJob],
    ['refresh', refreshJob],
    ['revoke', revokeJob],
  ]),
  [CALLS_QUEUE]: new Map<JobName, AnyJobDefinition>([['call', callJob]]),
};

export function createProcessor(queueName: string, services: Services, policy: RetryPolicy & { maxAttempts: number }) {
  const definitions = JOBS_BY_QUEUE[queueName];
  if (!definitions) throw new Error(`no jobs are defined for queue ${queueName}`);
  // Two parameters on purpose: a processor that takes BullMQ's AbortSignal costs an AbortController per job, and
  // every outbound request is bounded by its own timeout anyway.
  const jobLog = (job: Job): Logger =>
    services.log.child({ jobId: job.id, job: job.name, queue: queueName, connectionId: job.data?.connectionId });
  const run = async (job: Job, token?: string): Promise<unknown> => {
    // Created on first use: most calls log nothing, and a child logger per job is measurable on the call path. No
    // named function is made per job either: tsx keeps function names, with a property definition for each one made.
    let child: Logger | undefined;
    try {
      const definition = definitions.get(job.name as JobName);
      if (!definition) {
        const known = [...definitions.keys()].join(', ');
        throw new UnrecoverableError(`[unknown_job] queue ${queueName} runs ${known}, not "${job.name}"`);
      }
      await definition.onPickup?.(job, services);
      const data = parsePayload(definition.schema, job.data, job.name);
      const finalAttempt = attemptsUsed(job) >= policy.maxAttempts;
      return await definition.handle(data, {
        services,
        job,
        get log() {
          child ??= jobLog(job);
          return child;
        },
        finalAttempt,
      });
    } catch (error) {
      if (error instanceof UnrecoverableError) throw error;
      child ??= jobLog(job);
      return failOrRetry(error, job, token, policy, child);
    }
  };
  // Decided once: without tracing the processor is `run` itself, with nothing added per job.
  if (!tracingOn()) return run;
  return (job: Job, token?: string): Promise<unknown> => traceJob(job, () => run(job, token));
}
