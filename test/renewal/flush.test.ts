import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningScheduler, startScheduler } from '../../src/scheduler/scheduler.js';
import { type Harness, startHarness } from '../support/harness.js';
import { applyAcme, connectClient, flushPrefix, logRecords, pendingRefreshJobs, sleep, waitFor } from './support.js';

let h: Harness;
let scheduler: RunningScheduler;

beforeAll(async () => {
  h = await startHarness({ env: { SCHEDULER_SPREAD_SECONDS: '1' } });
  await applyAcme(h);
  // A yearly cron never ticks during the test: the test sweeps by hand, and each sweep looks a year ahead.
  scheduler = startScheduler(h.runtime, { cron: '0 0 1 1 *' });
});
afterAll(async () => {
  await scheduler?.close();
  await h?.close();
});

describe('the sweep after Redis lost its data', () => {
  it('when the BullMQ keys are gone, the next sweep re-creates each missing renewal once, and each is renewed once', async () => {
    const queue = h.runtime.queues.connections;
    const ids = [
      await connectClient(h, 'flush-1', 20),
      await connectClient(h, 'flush-2', 20),
      await connectClient(h, 'flush-3', 20),
    ].sort();
    expect((await pendingRefreshJobs(queue)).sort()).toEqual(ids);

    expect(await flushPrefix(h.runtime.redis, h.config.queuePrefix)).toBeGreaterThan(0);
    expect(await pendingRefreshJobs(queue)).toEqual([]);
    h.provider.reset();

    expect(await scheduler.sweepNow()).toMatchObject({ due: 3, enqueued: 3, pending: 0, cooldown: 0 });
    expect(await scheduler.sweepNow()).toMatchObject({ due: 3, enqueued: 0, pending: 3, cooldown: 0 });
    expect((await pendingRefreshJobs(queue)).sort()).toEqual(ids);
    const sweeps = logRecords(h.logs).filter((record) => record.msg === 'sweep');
    expect(sweeps.slice(0, 2)).toMatchObject([
      { tick: 'now', due: 3, enqueued: 3, pending: 0, cooldown: 0, tookMs: expect.any(Number) },
      { tick: 'now', due: 3, enqueued: 0, pending: 3, cooldown: 0, tookMs: expect.any(Number) },
    ]);

    // Each token was issued about 10 s before its renewal time; the next renewal would come 10 s after that.
    await waitFor(() => h.provider.stats.tokenRequests >= 3, 20_000, 'the three renewals');
    await sleep(2_000);
    expect(h.provider.stats.tokenRequests).toBe(3);
    expect([...h.provider.stats.tokenRequestsByClient.values()]).toEqual([1, 1, 1]);
    // Each renewal scheduled the next one, which the sweep now finds pending.
    expect((await pendingRefreshJobs(queue)).sort()).toEqual(ids);
    expect(await scheduler.sweepNow()).toMatchObject({ due: 3, enqueued: 0, pending: 3 });
  }, 60_000);
});
