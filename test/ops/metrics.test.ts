import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/ops/metrics.js';
import { type RunningWorker, startWorker } from '../../workers/start-worker.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { startOps } from './support.js';

const SECRET = 'metrics-secret-1';
let h: Harness;
let worker: RunningWorker;
let ops: Awaited<ReturnType<typeof startOps>>;

beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
  const metrics = new Metrics({ processMetrics: false });
  // As workers/all.ts does: the domain reads the observer on each event.
  h.runtime.services.observer = metrics.observer;
  worker = startWorker(h.runtime);
  metrics.observeWorkers(worker.workers);
  ops = await startOps(h.runtime, metrics);
  h.provider.registerClient({ clientId: 'client-1', clientSecret: SECRET, lifetimeSeconds: 3600 });
  await h.applyConnector(providerConnector(h.provider.url));
});
afterAll(async () => {
  await ops?.server.close();
  await worker?.close(2_000);
  await h?.close();
});

/** The value of one sample, such as `oauth_cc_connections{status="active"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(): Promise<string> {
  const response = await ops.request('/metrics');
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

describe('/metrics', () => {
  it('when jobs run, it counts them by queue, name and outcome, with durations, token requests, renewals, lock waits, depths and connections', async () => {
    const fields = { client_id: 'client-1', client_secret: SECRET };
    const { connectionId } = await h.client.connect({ owner: 'ws-1', connector: 'acme', fields });
    await expect(
      h.client.connect({ owner: 'ws-1', connector: 'acme', fields: { ...fields, client_secret: 'wrong' } }),
    ).rejects.toThrow(/invalid_client/);
    await h.client.call({ owner: 'ws-1', connectionId, url: 'echo' });
    // Four forced renewals at once: one asks the provider, the others wait for its single-flight lock.
    h.provider.quirk({ delayMs: 300 });
    await Promise.all(Array.from({ length: 4 }, () => h.client.refresh({ owner: 'ws-1', connectionId, force: true })));

    const jobs = 'oauth_cc_jobs_finished_total';
    const refreshes = `${jobs}{queue="connections",name="refresh",outcome="completed"}`;
    await expect.poll(async () => sample(await scrape(), refreshes)).toBe(4);
    const text = await scrape();
    expect(sample(text, `${jobs}{queue="connections",name="connect",outcome="completed"}`)).toBe(1);
    expect(sample(text, `${jobs}{queue="connections",name="connect",outcome="failed"}`)).toBe(1);
    expect(sample(text, `${jobs}{queue="calls",name="call",outcome="completed"}`)).toBe(1);
    const durations = 'oauth_cc_job_duration_seconds_count';
    expect(sample(text, `${durations}{queue="connections",name="connect",outcome="completed"}`)).toBe(1);
    expect(sample(text, `${durations}{queue="connections",name="refresh",outcome="completed"}`)).toBe(4);
    const slowest = sample(
      text,
      'oauth_cc_job_duration_seconds_bucket{le="0.25",queue="connections",name="refresh",outcome="completed"}',
    );
    expect(slowest).toBeLessThan(4);
    expect(sample(text, 'oauth_cc_token_requests_total{connector="acme",outcome="ok"}')).toBe(2);
    expect(sample(text, 'oauth_cc_token_requests_total{connector="acme",outcome="permanent"}')).toBe(1);
    expect(sample(text, 'oauth_cc_renewals_total{connector="acme",outcome="ok"}')).toBe(1);
    expect(sample(text, 'oauth_cc_renewal_lock_waits_total')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'oauth_cc_connections{status="active"}')).toBe(1);
    expect(sample(text, 'oauth_cc_connections{status="revoked"}')).toBe(0);
    // The scheduled renewal of the connection waits as a delayed job.
    expect(sample(text, 'oauth_cc_queue_jobs{queue="connections",state="delayed"}')).toBe(1);
    expect(sample(text, 'oauth_cc_queue_jobs{queue="connections",state="failed"}')).toBe(1);
    expect(sample(text, 'oauth_cc_queue_jobs{queue="calls",state="completed"}')).toBe(1);
    expect(text).not.toContain(SECRET);
  });
});

describe('egress refusals', () => {
  it('are counted by address class, from a closed set (anything else counts as unknown)', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.observer.egressDenied?.('loopback');
    metrics.observer.egressDenied?.('loopback');
    metrics.observer.egressDenied?.('plain_http');
    metrics.observer.egressDenied?.('a label of anyone’s choosing');
    const text = await metrics.text();
    expect(sample(text, 'oauth_cc_egress_denied_total{class="loopback"}')).toBe(2);
    expect(sample(text, 'oauth_cc_egress_denied_total{class="plain_http"}')).toBe(1);
    expect(sample(text, 'oauth_cc_egress_denied_total{class="unknown"}')).toBe(1);
    expect(text).not.toContain('anyone');
  });
});
