import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningScheduler, startScheduler } from '../../src/scheduler/scheduler.js';
import { type Harness, startHarness } from '../support/harness.js';
import { applyAcme, connectClient, sleep } from './support.js';

let h: Harness;
let scheduler: RunningScheduler;

beforeAll(async () => {
  h = await startHarness();
  await applyAcme(h);
  scheduler = startScheduler(h.runtime, { cron: '*/5 * * * * *' });
});
afterAll(async () => {
  await scheduler?.close();
  await h?.close();
});

describe('renewal before expiry, in real time', () => {
  it('when the provider issues 20-second tokens, the connection stays usable for two minutes and each renewal asks once', async () => {
    // renewAt = expiry − min(300 s, 0.5 × 20 s): a renewal every 10 s.
    const connectionId = await connectClient(h, 'short-lived', 20);
    h.provider.reset();
    const started = Date.now();
    const statuses: number[] = [];
    while (Date.now() - started < 120_000) {
      const answer = await h.client.call({
        owner: 'owner-short-lived',
        connectionId,
        url: `${h.provider.url}/api/echo`,
      });
      statuses.push(answer.status);
      await sleep(2_000);
    }

    expect(statuses.length).toBeGreaterThanOrEqual(50);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    // An expired token would have drawn a 401 and a second send of the same call.
    expect(h.provider.stats.apiRequests).toBe(statuses.length);
    const tokenRequests = h.provider.stats.tokenRequests;
    expect(tokenRequests).toBeGreaterThanOrEqual(10);
    expect(tokenRequests).toBeLessThanOrEqual(14);
    // The renewals came from scheduled refresh jobs, not from calls that found the token due.
    const completed = await h.runtime.queues.connections.getJobs(['completed']);
    const scheduledRenewals = completed.filter((job) => job.name === 'refresh' && job.returnvalue?.renewed === true);
    expect(scheduledRenewals.length).toBeGreaterThanOrEqual(tokenRequests - 2);
  }, 180_000);
});
