/**
 * Budgets learned from answers, with no declaration: a quota from `RateLimit-Policy` paces later calls, and a 429
 * with `Retry-After` keeps the connection's calls away from the API until then.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { type LimitedApi, startLimitedApi } from './limited-api.js';

let h: Harness;
let api: LimitedApi;
let connectionId: string;

beforeAll(async () => {
  h = await startHarness({ env: { JOB_ATTEMPTS: '5', JOB_BACKOFF_MS: '50' } });
  api = await startLimitedApi({ perSecond: 4, burst: 1 });
  await h.applyConnector(providerConnector(h.provider.url, { allowedUrls: [`${h.provider.url}/api/`, `${api.url}/`] }));
  h.provider.registerClient({ clientId: 'learner', clientSecret: 'learner-secret' });
  ({ connectionId } = await h.client.connect({
    owner: 'ws',
    connector: 'acme',
    fields: { client_id: 'learner', client_secret: 'learner-secret' },
  }));
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});
beforeEach(() => api.reset());

const call = (path: string) => h.client.call({ owner: 'ws', connectionId, url: `${api.url}/${path}` });

describe('budgets learned from answers', () => {
  it('paces calls to the quota an answer announced, so the API rejects none of them', async () => {
    api.reset({ perSecond: 4, burst: 4, rateLimitHeaders: true });
    expect((await call('teach')).status).toBe(200);
    // Twelve at once would empty the bucket three times over: only pacing to 4 per second keeps them all accepted.
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => call(`paced/${i}`)));
    expect(results.every((result) => result.status === 200)).toBe(true);
    expect(api.stats.rejected).toBe(0);
    expect(api.stats.ok).toBe(13);
  }, 60_000);

  it('sends nothing for the connection until the time a 429 named, then every call completes', async () => {
    // Without headers of its own, the API teaches only through 429 and Retry-After (1 s: one token per second).
    api.reset({ perSecond: 1, burst: 1, rateLimitHeaders: false });
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => call(`blocked/${i}`)));
    expect(results.every((result) => result.status === 200)).toBe(true);
    const [times = []] = [...api.stats.arrivals.values()];
    const rejectedAt = times.slice(0, api.stats.rejected + 1);
    const afterBlock = times.slice(api.stats.rejected + 1);
    // Once rejected, the next request waited for the Retry-After of the first rejection (1 s).
    expect(api.stats.rejected).toBeGreaterThanOrEqual(1);
    const firstRejection = rejectedAt[1] as number;
    for (const time of afterBlock) expect(time - firstRejection).toBeGreaterThanOrEqual(990);
  }, 60_000);
});
