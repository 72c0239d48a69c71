/**
 * Which connections already have a renewal pending in BullMQ. A renewal is pending while its deduplication key
 * (`<prefix>:connections:de:renew:<id>`, see BullMQ's `deduplicateJob.lua`) names a job that still exists: BullMQ
 * deletes the key when that job finishes. A key whose job is gone (a partial data loss) is stale; it would block the
 * sweep forever, so it counts as not pending, and BullMQ itself recovers such a key on the next add.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { renewalDeduplicationId } from '../queue/names.js';

/** Two pipelined round trips for the whole page: GET the deduplication keys, then EXISTS the jobs they name. */
export async function pendingRenewals(redis: Redis, queue: Queue, connectionIds: string[]): Promise<boolean[]> {
  if (connectionIds.length === 0) return [];
  const reads = redis.pipeline();
  for (const id of connectionIds) reads.get(`${queue.toKey('de')}:${renewalDeduplicationId(id)}`);
  const jobIds = (await reads.exec())?.map(([error, value]) => {
    if (error) throw error;
    return typeof value === 'string' ? value : null;
  });
  if (!jobIds) throw new Error('redis pipeline was discarded');

  const named = jobIds.flatMap((jobId) => (jobId === null ? [] : [jobId]));
  if (named.length === 0) return jobIds.map(() => false);
  const checks = redis.pipeline();
  for (const jobId of named) checks.exists(queue.toKey(jobId));
  const exists = (await checks.exec())?.map(([error, value]) => {
    if (error) throw error;
    return value === 1;
  });
  if (!exists) throw new Error('redis pipeline was discarded');
  let next = 0;
  return jobIds.map((jobId) => jobId !== null && exists[next++] === true);
}
