/**
 * Waiting for a job's result. BullMQ's `waitUntilFinished` listens for the job's `completed` or `failed` event, and
 * a call queue keeps a short event stream (`CALL_EVENTS_MAX_LENGTH`, for Redis memory): a listener that falls behind
 * a burst of events can find the job's event trimmed before it reads it, and would wait out its whole timeout for a
 * job that is long done. So the job itself is looked at too, every `CHECK_MS` while its event has not come.
 */
import { Job, type Queue, type QueueEvents } from 'bullmq';
import { AppError } from '../errors.js';

/** How often a waiting caller looks at the job itself. */
const CHECK_MS = 1_000;

/** Resolves with the job's return value; rejects with its failure reason, as `waitUntilFinished` does. */
export async function waitForJob(queue: Queue, job: Job, events: QueueEvents, timeoutMs: number): Promise<unknown> {
  const heard = job.waitUntilFinished(events, timeoutMs);
  // When a look at the job answers first, the listener's own timeout rejects later, with nobody waiting for it.
  heard.catch(() => {});
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leftMs = deadline - Date.now();
    if (leftMs <= 0 || (await settledWithin(heard, Math.min(CHECK_MS, leftMs)))) return heard;
    const outcome = await finishedOutcome(queue, job.id as string);
    if (outcome) return outcome.value;
  }
}

/** True when `promise` settles within `ms`. */
export function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const settled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(settled, settled);
  });
}

/** The job's result when it has finished; throws its failure reason when it failed; undefined while it runs. */
async function finishedOutcome(queue: Queue, id: string): Promise<{ value: unknown } | undefined> {
  // The state first, then the job: BullMQ writes a job's result in the same script that moves it to completed, so
  // once the state says completed, the result is there. Read the other way round, a job that completed in between
  // would read as completed with no result yet.
  const state = await queue.getJobState(id);
  if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return undefined;
  const job = await Job.fromId(queue, id);
  if (!job) {
    throw new AppError(
      'not_found',
      'not_found',
      `job ${id} finished, but its result is no longer kept: read results sooner, or raise JOB_RETENTION_COUNT`,
    );
  }
  if (state === 'completed') return { value: job.returnvalue };
  if (state === 'failed') throw new Error(job.failedReason);
  return undefined;
}
