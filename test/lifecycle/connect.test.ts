import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectJob } from '../../jobs/connect.js';
import { openSecrets } from '../../src/connections/context.js';
import type { Services } from '../../src/connections/services.js';
import { AppError } from '../../src/errors.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
const SECRET = 's3cr%t:+/= with space';

beforeAll(async () => {
  h = await startHarness();
  h.provider.registerClient({
    clientId: 'client-1',
    clientSecret: SECRET,
    lifetimeSeconds: 3600,
    account: { account_id: 'acct-1', name: 'Ada', email: 'ada@example.com' },
  });
  await h.applyConnector(providerConnector(h.provider.url));
});
afterAll(() => h?.close());
beforeEach(() => h.provider.reset());

describe('connect', () => {
  it('when the credentials are good, it stores one active connection named from the test API', async () => {
    const result = await h.client.connect({
      owner: 'ws-1',
      connector: 'acme',
      fields: { client_id: 'client-1', client_secret: SECRET },
    });
    expect(result).toMatchObject({ created: true, name: "Ada's Account", uniqueId: 'acct-1', status: 'active' });
    expect(Date.parse(result.expiresAt ?? '')).toBeGreaterThan(Date.now() + 3000_000);
    const stored = await h.runtime.store.connections.get(result.connectionId);
    expect(stored?.secrets.client_secret).toMatch(/^sealed:v3:/);
    expect(openSecrets(h.keys, stored!).client_secret).toBe(SECRET);
    expect(stored?.fields).toEqual({ client_id: 'client-1', environment: 'production', api_version: 'v2' });
    expect(stored?.renewAt?.getTime()).toBe((stored?.expiresAt?.getTime() ?? 0) - 300_000);
    expect(h.provider.stats.tokenRequests).toBe(1);
  });

  it('when the same account connects again, it updates the connection in place', async () => {
    const first = await h.client.connect({
      owner: 'ws-2',
      connector: 'acme',
      fields: { client_id: 'client-1', client_secret: SECRET },
    });
    const second = await h.client.connect({
      owner: 'ws-2',
      connector: 'acme',
      fields: { client_id: 'client-1', client_secret: SECRET },
    });
    expect(second).toMatchObject({ connectionId: first.connectionId, created: false });
  });

  it('when ten connects of one account run at once, exactly one connection exists', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.client.connect({
          owner: 'ws-3',
          connector: 'acme',
          fields: { client_id: 'client-1', client_secret: SECRET },
        }),
      ),
    );
    expect(new Set(results.map((r) => r.connectionId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const { items } = await h.runtime.store.connections.list({ owner: 'ws-3' });
    expect(items).toHaveLength(1);
  });

  it('when the secret is wrong, the job fails with invalid_client and nothing is stored', async () => {
    const attempt = h.client.connect({
      owner: 'ws-4',
      connector: 'acme',
      fields: { client_id: 'client-1', client_secret: 'wrong' },
    });
    await expect(attempt).rejects.toThrow(/invalid_client/);
    expect((await h.runtime.store.connections.list({ owner: 'ws-4' })).items).toHaveLength(0);
    expect(h.provider.stats.tokenRequests).toBe(1);
  });

  it('when a field is invalid, the job fails at once naming the field', async () => {
    const attempt = h.client.connect({
      owner: 'ws-5',
      connector: 'acme',
      fields: { client_id: 'client-1', client_secret: SECRET, environment: 'staging' },
    });
    await expect(attempt).rejects.toThrow(/fields\.environment.*sandbox, production/);
    expect(h.provider.stats.tokenRequests).toBe(0);
  });

  it('when the connector is unknown, the job fails at once and says how to add it', async () => {
    await expect(h.client.connect({ owner: 'ws-5', connector: 'nope', fields: { client_id: 'x' } })).rejects.toThrow(
      /unknown connector "nope".*connectors apply/,
    );
  });

  it('when the owner holds a NUL character, the job fails at once naming the field, on every store alike', async () => {
    await expect(
      h.client.enqueue('connect', { owner: 'ws\u0000x', connector: 'acme', fields: { client_id: 'client-1' } }),
    ).rejects.toThrow(/owner: must not contain the NUL character/);
  });

  it('reports its progress through token, test and saved', async () => {
    const steps: unknown[] = [];
    const events = new QueueEvents(h.runtime.queues.connections.name, {
      connection: h.redisConnection(),
      prefix: h.config.queuePrefix,
    });
    await events.waitUntilReady();
    events.on('progress', ({ data }) => steps.push(data));
    const id = await h.client.enqueue('connect', {
      owner: 'ws-6',
      connector: 'acme',
      fields: { client_id: 'client-1', client_secret: SECRET },
    });
    await h.client.result('connect', id);
    await expect.poll(() => steps).toEqual([{ step: 'token' }, { step: 'test' }, { step: 'saved' }]);
    await events.close();
  });
});

describe('sealing a connect job on pickup', () => {
  it('when the definition cannot be read right now, it writes nothing and fails the attempt as transient', async () => {
    const queue = new Queue(`{pickup-${process.pid}-${Date.now()}}`, { connection: h.runtime.redis });
    try {
      const fields = { client_id: 'plain-id', client_secret: 'plain-secret' };
      const job = await queue.add('connect', { owner: 'ws', connector: 'acme', fields });
      const outage = new AppError('transient', 'store_unavailable', 'our database cannot be reached');
      const services = {
        ...h.runtime.services,
        cache: { connector: () => Promise.reject(outage) },
      } as unknown as Services;
      await expect(connectJob.onPickup?.(job, services)).rejects.toBe(outage);
      // Sealing every field as for an unknown connector would make the retry refuse a sealed client_id.
      expect((await queue.getJob(job.id as string))?.data.fields).toEqual(fields);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
