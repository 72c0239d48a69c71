/**
 * The precise half of token renewal: whenever a token is stored, a delayed `refresh` job is scheduled at `renewAt`.
 * BullMQ deduplication keeps at most one pending renewal per connection: a newer token replaces the delayed job
 * (`replace`), and a renewal scheduled by the running renewal itself is created when that one finishes
 * (`keepLastIfActive`).
 */
import type { Queue } from 'bullmq';
import type { Connection } from '../domain/model.js';
import type { RenewalScheduler } from '../domain/ports.js';
import { renewalDeduplicationId } from './names.js';
import type { RefreshPayload } from './schemas.js';

export interface ScheduledRenewal {
  connectionId: string;
  owner: string;
  /** When to renew; a time in the past means at once. */
  renewAt: Date;
}

/** Job options of a scheduled renewal; the scheduler's sweep uses the same ones, so both dedupe together. */
export function renewalJob(renewal: ScheduledRenewal, now = Date.now(), spreadMs = 0) {
  const data: RefreshPayload = { owner: renewal.owner, connectionId: renewal.connectionId };
  return {
    name: 'refresh' as const,
    data,
    opts: {
      delay: Math.max(0, renewal.renewAt.getTime() - now) + Math.floor(Math.random() * spreadMs),
      deduplication: { id: renewalDeduplicationId(renewal.connectionId), replace: true, keepLastIfActive: true },
    },
  };
}

export class QueueRenewalScheduler implements RenewalScheduler {
  constructor(private readonly queue: Queue) {}

  async schedule(connection: Connection): Promise<void> {
    // Tokens without expiry are not renewed on a timer: an `expiredWhen` answer renews them.
    if (connection.status !== 'active' || !connection.renewAt) return;
    const job = renewalJob({ connectionId: connection.id, owner: connection.owner, renewAt: connection.renewAt });
    await this.queue.add(job.name, job.data, job.opts);
  }
}
