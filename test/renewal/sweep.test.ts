import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SweepLock } from '../../src/scheduler/lock.js';
import { renewalMetrics, renewalsCounter } from '../../src/scheduler/metrics.js';
import { type RunningScheduler, startScheduler } from '../../src/scheduler/scheduler.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { applyAcme, connectClient, pendingRefreshJobs } from './support.js';

let h: Harness;
let scheduler: RunningScheduler;

beforeAll(async () => {
  h = await startHarness();
  await applyAcme(h);
  // Never ticks during the test; sweeps are made by hand and look a year ahead.
  scheduler = startScheduler(h.runtime, { cron: '0 0 1 1 *' });
});
afterAll(async () => {
  await scheduler?.close();
  await h?.close();
});

describe('the renewal sweep', () => {
  it('when a token has no expiry, no renewal is scheduled and the sweep does not see it', async () => {
    // The provider sends no expires_in, and the connector assumes no default lifetime.
    await h.applyConnector(
      providerConnector(h.provider.url, {
        key: 'forever',
        token: { url: `${h.provider.url}/oauth/token`, defaultLifetimeSeconds: null },
      }),
    );
    const connectionId = await connectClient(h, 'forever', null, 'forever');
    const connection = await h.runtime.store.connections.get(connectionId);
    expect(connection).toMatchObject({ status: 'active', expiresAt: null, renewAt: null });
    expect(await pendingRefreshJobs(h.runtime.queues.connections)).not.toContain(connectionId);
    const result = await scheduler.sweepNow();
    expect(result?.due).toBe(0);
  });

  it("when a renewal's deduplication key outlived its job, the sweep enqueues the renewal again", async () => {
    const queue = h.runtime.queues.connections;
    const connectionId = await connectClient(h, 'stale-key', 3600);
    const [job] = (await queue.getDelayed()).filter((delayed) => delayed.data.connectionId === connectionId);
    expect(job?.id).toBeDefined();
    // A partial data loss: the job is gone, its deduplication key is not.
    await h.runtime.redis.zrem(queue.toKey('delayed'), job?.id ?? '');
    await h.runtime.redis.del(queue.toKey(job?.id ?? ''));
    expect(await h.runtime.redis.exists(`${queue.toKey('de')}:renew:${connectionId}`)).toBe(1);

    expect(await scheduler.sweepNow()).toMatchObject({ enqueued: 1 });
    expect(await pendingRefreshJobs(queue)).toContain(connectionId);
    expect(await scheduler.sweepNow()).toMatchObject({ enqueued: 0 });
  });

  it('when another scheduler holds the sweep lock, sweepNow does not sweep', async () => {
    const other = new SweepLock(h.runtime.redis, { prefix: h.config.queuePrefix, ttlMs: 10_000 });
    let releaseOther!: () => void;
    let holding!: () => void;
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const otherSweep = other.run(null, () => {
      holding();
      return new Promise<string>((resolve) => {
        releaseOther = () => resolve('swept');
      });
    });
    await held;
    expect(await scheduler.sweepNow()).toBeNull();
    releaseOther();
    expect(await otherSweep).toBe('swept');
    expect(await scheduler.sweepNow()).not.toBeNull();
  });

  it('when a tick was swept and the lock released, a scheduler arriving late does not sweep that tick again', async () => {
    const lock = new SweepLock(h.runtime.redis, { prefix: h.config.queuePrefix, ttlMs: 10_000 });
    const tick = { at: new Date(Math.floor(Date.now() / 1000) * 1000), ttlMs: 5_000 };
    expect(await lock.run(tick, async () => 'swept')).toBe('swept');
    expect(await lock.run(tick, async () => 'swept again')).toBeNull();
    expect(await lock.run({ ...tick, at: new Date(tick.at.getTime() + 1000) }, async () => 'next tick')).toBe(
      'next tick',
    );
  });

  it('when renewals succeed or fail, the counters count them by connector and outcome', async () => {
    const count = async (outcome: string) =>
      (await renewalsCounter.get()).values.find(
        (value) => value.labels.connector === 'acme' && value.labels.outcome === outcome,
      )?.value ?? 0;
    const before = { ok: await count('ok'), failed: await count('failed') };
    h.runtime.services.observer = renewalMetrics;
    const connectionId = await connectClient(h, 'counted', 3600);
    await h.client.refresh({ owner: 'owner-counted', connectionId, force: true });
    h.provider.quirk({ tokenError: 'invalid_client' });
    await expect(h.client.refresh({ owner: 'owner-counted', connectionId, force: true })).rejects.toThrow(
      /invalid_client/,
    );
    h.provider.reset();
    expect(await count('ok')).toBe(before.ok + 1);
    expect(await count('failed')).toBe(before.failed + 1);
  });
});
