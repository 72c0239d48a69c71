/**
 * Declared budgets against two real worker processes (`npm run worker`), counted where it matters: at the API.
 * The API here limits nothing (a huge bucket); it only records when each request arrived.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetProgress } from '../../jobs/budget-wait.js';
import type { ConnectorDefinition } from '../../src/definitions/schema.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { busiestWindow, type LimitedApi, startLimitedApi } from './limited-api.js';

let h: Harness;
let api: LimitedApi;
const SECRET = 'budget-secret-value';

const connector = (key: string, extra: Partial<ConnectorDefinition>) =>
  providerConnector(h.provider.url, { key, allowedUrls: [`${h.provider.url}/api/`, `${api.url}/`], ...extra });

async function connect(connector: string, clientId: string): Promise<string> {
  h.provider.registerClient({ clientId, clientSecret: SECRET });
  const { connectionId } = await h.client.connect({
    owner: 'ws',
    connector,
    fields: { client_id: clientId, client_secret: SECRET },
  });
  return connectionId;
}

beforeAll(async () => {
  // One attempt per job: a budget wait that counted as an attempt would fail the call.
  h = await startHarness({ inProcessWorker: false, env: { JOB_ATTEMPTS: '1' } });
  api = await startLimitedApi({ perSecond: 100_000, burst: 100_000 });
  await Promise.all([h.spawnWorker(), h.spawnWorker()]);
}, 60_000);
afterAll(async () => {
  await api?.close();
  await h?.close();
});

describe('declared budgets shared by two worker processes', () => {
  it('never lets more calls reach the API in any window than the budget allows, and every call completes', async () => {
    await h.applyConnector(connector('paced', { rateLimits: [{ requests: 5, perSeconds: 1 }] }));
    const connectionId = await connect('paced', 'paced-client');
    api.reset();
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) => h.client.call({ owner: 'ws', connectionId, url: `${api.url}/item/${i}` })),
    );
    expect(results.map((result) => result.status)).toEqual(Array(25).fill(200));
    expect(api.stats.ok).toBe(25);
    expect(busiestWindow(api.stats, 1000)).toBeLessThanOrEqual(5);
    // 25 calls at 5 per second: the 25th cannot go before 24 slots have passed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_800);
  }, 60_000);

  it('moves waiting calls to delayed with the reason on the job, without using up attempts', async () => {
    const completed = await h.runtime.queues.calls.getJobs(['completed']);
    const waited = completed
      .map((job) => (job.progress as Partial<BudgetProgress>).budget)
      .filter((budget) => budget !== undefined);
    expect(waited.length).toBeGreaterThan(10);
    for (const budget of waited) {
      expect(budget.waitingFor).toBe('connection');
      expect(budget.waits).toBeGreaterThanOrEqual(1);
      expect(Number.isNaN(Date.parse(budget.until))).toBe(false);
    }
    expect(JSON.stringify(waited)).not.toContain(SECRET);
  });

  it('shares a connector budget between connections of different owners', async () => {
    await h.applyConnector(connector('shared', { rateLimits: [{ requests: 4, perSeconds: 1, scope: 'connector' }] }));
    const first = await connect('shared', 'shared-a');
    h.provider.registerClient({ clientId: 'shared-b', clientSecret: SECRET });
    const { connectionId: second } = await h.client.connect({
      owner: 'other-ws',
      connector: 'shared',
      fields: { client_id: 'shared-b', client_secret: SECRET },
    });
    api.reset();
    const calls = Array.from({ length: 12 }, (_, i) =>
      h.client.call({
        owner: i % 2 === 0 ? 'ws' : 'other-ws',
        connectionId: i % 2 === 0 ? first : second,
        url: `${api.url}/item/${i}`,
      }),
    );
    expect((await Promise.all(calls)).every((result) => result.status === 200)).toBe(true);
    // Arrivals are recorded per bearer token: merge both connections' to count the shared budget.
    const all = [...api.stats.arrivals.values()].flat();
    expect(all).toHaveLength(12);
    expect(busiestWindow({ ...api.stats, arrivals: new Map([['all', all]]) }, 1000)).toBeLessThanOrEqual(4);
  }, 60_000);

  it('fails a call with rate_limited at once when its turn is further away than CALL_MAX_WAIT_MS', async () => {
    await h.applyConnector(connector('scarce', { rateLimits: [{ requests: 1, perSeconds: 3600 }] }));
    const connectionId = await connect('scarce', 'scarce-client');
    api.reset();
    expect((await h.client.call({ owner: 'ws', connectionId, url: `${api.url}/first` })).status).toBe(200);
    const started = Date.now();
    await expect(h.client.call({ owner: 'ws', connectionId, url: `${api.url}/second` })).rejects.toThrow(
      /\[rate_limited\] the rate budget \(connection\) has no room for this call within CALL_MAX_WAIT_MS/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(api.stats.ok).toBe(1);
  }, 60_000);

  it('keeps calls of one connection within its concurrency', async () => {
    await h.applyConnector(connector('narrow', { concurrency: 2 }));
    const connectionId = await connect('narrow', 'narrow-client');
    api.reset();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => h.client.call({ owner: 'ws', connectionId, url: `${api.url}/slow?delay=300` })),
    );
    expect(results.every((result) => result.status === 200)).toBe(true);
    expect(api.stats.ok).toBe(8);
    expect(api.stats.maxInFlight).toBe(2);
  }, 60_000);
});
