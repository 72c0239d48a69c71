/**
 * The safety net of token renewal: one sweep pages through the active connections due by the next sweep and
 * enqueues a `refresh` job for each one that has none pending (Redis lost its data, a deploy dropped jobs, a renewal
 * gave up after its retries). The jobs are the precise scheduler's own (`renewalJob`), so both deduplicate together.
 *
 * Its cost follows the number of due connections, not the total: the store reads them by index, and each page costs
 * two lookups per due connection, sent together, and one `addBulk`.
 */
import type { Queue } from 'bullmq';
import type { DueConnection } from '../domain/model.js';
import { renewalJob } from '../queue/renewals.js';
import type { Store } from '../store/port.js';
import { pendingRenewals } from './pending.js';

export interface SweepSettings {
  /** Connections whose renewal falls before now + this are taken: the time until the next sweep. */
  horizonMs: number;
  /** Due connections read per page (the store clamps it to 1000). */
  pageSize: number;
  /**
   * Least time after a recorded renewal failure (`lastError.at`) before the sweep enqueues that connection again,
   * so a provider that keeps failing is not asked again on every tick.
   */
  cooldownMs: number;
  /** A renewal starts at random within this many ms after its `renewAt` (or now, if overdue). */
  spreadMs: number;
}

export interface SweepDeps {
  store: Store;
  /** The `connections` queue. */
  queue: Queue;
}

export interface SweepResult {
  /** Due connections examined. */
  due: number;
  /** Refresh jobs added. */
  enqueued: number;
  /** Due connections that already had a renewal pending. */
  pending: number;
  /** Due connections left alone because their last renewal failed within the cooldown. */
  cooldown: number;
  tookMs: number;
}

export async function sweepDue(deps: SweepDeps, settings: SweepSettings, now = new Date()): Promise<SweepResult> {
  const started = performance.now();
  const before = new Date(now.getTime() + settings.horizonMs);
  const coolingSince = now.getTime() - settings.cooldownMs;
  const result = { due: 0, enqueued: 0, pending: 0, cooldown: 0 };
  let after: string | undefined;
  do {
    const page = await deps.store.connections.findDue(before, { limit: settings.pageSize, ...(after && { after }) });
    const cooling = (item: DueConnection) =>
      item.lastErrorAt !== undefined && item.lastErrorAt.getTime() > coolingSince;
    const candidates = page.items.filter((item) => !cooling(item));
    const pending = await pendingRenewals(
      deps.queue,
      candidates.map((item) => item.id),
    );
    const missing = candidates.filter((_, index) => !pending[index]);
    if (missing.length > 0) {
      await deps.queue.addBulk(
        missing.map((item) =>
          renewalJob(
            { connectionId: item.id, owner: item.owner, renewAt: item.renewAt },
            now.getTime(),
            settings.spreadMs,
          ),
        ),
      );
    }
    result.due += page.items.length;
    result.cooldown += page.items.length - candidates.length;
    result.pending += candidates.length - missing.length;
    result.enqueued += missing.length;
    after = page.next ?? undefined;
  } while (after !== undefined);
  return { ...result, tookMs: Math.round(performance.now() - started) };
}
