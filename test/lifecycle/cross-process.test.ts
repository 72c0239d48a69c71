/**
 * Guarantees that only hold across processes: single-flight renewal and cache invalidation, with two worker
 * processes started as `npm run worker` would start them.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let workers: ChildProcess[];
let counter = 0;

beforeAll(async () => {
  h = await startHarness({
    inProcessWorker: false,
    env: { WORKER_CONCURRENCY_CALLS: '200', WORKER_CONCURRENCY_CONNECTIONS: '50' },
  });
  await h.applyConnector(providerConnector(h.provider.url));
  workers = await Promise.all([h.spawnWorker(), h.spawnWorker()]);
}, 60_000);
afterAll(() => h?.close());
beforeEach(() => h.provider.reset());

async function connected() {
  const clientId = `xp-${++counter}`;
  h.provider.registerClient({
    clientId,
    clientSecret: 'secret',
    account: { account_id: clientId, name: 'X', email: 'x@example.com' },
  });
  const { connectionId } = await h.client.connect({
    owner: 'ws',
    connector: 'acme',
    fields: { client_id: clientId, client_secret: 'secret' },
  });
  return { clientId, connectionId };
}

/** Makes the stored token due and unusable, as if it had expired. */
async function expire(clientId: string, connectionId: string) {
  const stored = await h.runtime.store.connections.get(connectionId);
  const past = new Date(Date.now() - 1000);
  const updated = await h.runtime.store.connections.update(connectionId, stored?.version ?? 0, {
    expiresAt: past,
    renewAt: past,
  });
  if (updated) await h.runtime.services.cache.publish(updated);
  h.provider.revokeAllTokensOf(clientId);
  h.provider.reset();
}

async function runAll<T>(count: number, enqueue: () => Promise<string>, name: 'call' | 'refresh'): Promise<T[]> {
  const ids = await Promise.all(Array.from({ length: count }, enqueue));
  return Promise.all(ids.map((id) => h.client.result(name, id, 30_000) as Promise<T>));
}

describe('across two worker processes', () => {
  it('both workers take jobs', async () => {
    expect(workers.every((worker) => worker.exitCode === null)).toBe(true);
    const { connectionId } = await connected();
    const results = await runAll<{ body: { remotePort: number } }>(
      200,
      () => h.client.enqueue('call', { owner: 'ws', connectionId, url: 'echo' }),
      'call',
    );
    // Each worker process keeps its own keep-alive connections: two processes show up as several client ports.
    expect(new Set(results.map((r) => r.body.remotePort)).size).toBeGreaterThan(1);
  });

  it('50 concurrent refresh jobs on an expired token make exactly one token request', async () => {
    const { clientId, connectionId } = await connected();
    await expire(clientId, connectionId);
    const results = await runAll<{ renewed: boolean }>(
      50,
      () => h.client.enqueue('refresh', { owner: 'ws', connectionId }),
      'refresh',
    );
    expect(h.provider.stats.tokenRequests).toBe(1);
    expect(results.filter((r) => r.renewed)).toHaveLength(1);
  });

  it('500 concurrent calls on an expired token make exactly one token request, and all succeed', async () => {
    const { clientId, connectionId } = await connected();
    await expire(clientId, connectionId);
    const results = await runAll<{ status: number }>(
      500,
      () => h.client.enqueue('call', { owner: 'ws', connectionId, url: 'echo' }),
      'call',
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(h.provider.stats.tokenRequests).toBe(1);
  }, 60_000);

  it('after a refresh completes, no later call on any worker uses the old token', async () => {
    const { clientId, connectionId } = await connected();
    // Warm both workers' caches with the current token.
    await runAll(100, () => h.client.enqueue('call', { owner: 'ws', connectionId, url: 'echo' }), 'call');
    h.provider.revokeAllTokensOf(clientId);
    await h.client.refresh({ owner: 'ws', connectionId, force: true });
    h.provider.reset();
    const results = await runAll<{ status: number }>(
      100,
      () => h.client.enqueue('call', { owner: 'ws', connectionId, url: 'echo' }),
      'call',
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    // A stale token would have been answered 401 and sent a second request.
    expect(h.provider.stats.apiRequests).toBe(100);
    expect(h.provider.stats.tokenRequests).toBe(0);
  });

  it('after a revoke completes, no later call on any worker reaches the API', async () => {
    const { connectionId } = await connected();
    await runAll(100, () => h.client.enqueue('call', { owner: 'ws', connectionId, url: 'echo' }), 'call');
    await h.client.revoke({ owner: 'ws', connectionId });
    h.provider.reset();
    const ids = await Promise.all(
      Array.from({ length: 50 }, () => h.client.enqueue('call', { owner: 'ws', connectionId, url: 'echo' })),
    );
    const outcomes = await Promise.allSettled(ids.map((id) => h.client.result('call', id, 30_000)));
    expect(outcomes.every((o) => o.status === 'rejected' && /revoked/.test(String(o.reason)))).toBe(true);
    expect(h.provider.stats.apiRequests).toBe(0);
  });
});
