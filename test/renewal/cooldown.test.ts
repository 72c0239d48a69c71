import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningScheduler, startScheduler } from '../../src/scheduler/scheduler.js';
import { type Harness, startHarness } from '../support/harness.js';
import { applyAcme, connectClient, logRecords, sleep } from './support.js';

const COOLDOWN_SECONDS = 4;
const ATTEMPTS = 3;
let h: Harness;
let scheduler: RunningScheduler;

beforeAll(async () => {
  h = await startHarness({
    env: {
      RENEWAL_COOLDOWN_SECONDS: String(COOLDOWN_SECONDS),
      JOB_ATTEMPTS: String(ATTEMPTS),
      SCHEDULER_SPREAD_SECONDS: '1',
    },
  });
  await applyAcme(h);
  scheduler = startScheduler(h.runtime, { cron: '* * * * * *' });
});
afterAll(async () => {
  await scheduler?.close();
  await h?.close();
});

describe('renewals that keep failing', () => {
  it('when the token endpoint keeps answering 503, the every-second sweep asks again only once per cooldown', async () => {
    // 4-second tokens: the scheduled renewal falls 2 s after the connect.
    const connectionId = await connectClient(h, 'flaky', 4);
    h.provider.reset();
    h.provider.quirk({ status503: true });
    const windowSeconds = 14;
    await sleep(windowSeconds * 1000);

    const requests = h.provider.stats.tokenRequests;
    // Each renewal job makes ATTEMPTS requests. Without the cooldown the sweep would start one every second
    // (about 11 jobs); with it, one per cooldown after the scheduled one.
    expect(requests).toBeGreaterThanOrEqual(2 * ATTEMPTS);
    expect(requests).toBeLessThanOrEqual(ATTEMPTS * (Math.ceil(windowSeconds / COOLDOWN_SECONDS) + 1));
    const sweeps = logRecords(h.logs).filter((record) => record.msg === 'sweep');
    expect(sweeps.filter((sweep) => sweep.cooldown === 1).length).toBeGreaterThanOrEqual(3);
    // Transient failures keep the connection active, with the failure on record.
    const connection = await h.runtime.store.connections.get(connectionId);
    expect(connection).toMatchObject({ status: 'active', lastError: { code: expect.any(String) } });
  }, 40_000);
});
