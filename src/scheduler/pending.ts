/**
 * Which connections already have a renewal pending in BullMQ. A renewal is pending while its deduplication id names
 * a job that still exists: BullMQ forgets the id when that job finishes. An id whose job is gone (a partial data
 * loss) is stale; it would block the sweep forever, so it counts as not pending, and BullMQ itself recovers such an
 * id on the next add. Only BullMQ's public API is used: its key layout is its own.
 */
import type { Queue } from 'bullmq';
import { renewalDeduplicationId } from '../queue/names.js';

/** All lookups of a page are issued at once: the connection sends them together, whatever their number. */
export async function pendingRenewals(queue: Queue, connectionIds: string[]): Promise<boolean[]> {
  return Promise.all(
    connectionIds.map(async (id) => {
      const jobId = await queue.getDeduplicationJobId(renewalDeduplicationId(id));
      return jobId !== null && (await queue.getJob(jobId)) !== undefined;
    }),
  );
}
