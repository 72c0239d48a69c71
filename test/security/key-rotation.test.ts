/**
 * Key rotation while the worker runs: connections sealed with k1, a worker restarted with the ring "k2,k1", and
 * `rotateKeys` run while that worker renews tokens and makes calls. No job fails, and afterwards every sealed value is
 * sealed with k2 (the worker's new tokens and the rotated old values alike).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/domain/model.js';
import { type Client, createClient } from '../../src/queue/client.js';
import { KeyRing } from '../../src/secrets/keyring.js';
import { rotateKeys } from '../../src/secrets/rotate.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';

const K1 = KeyRing.generateKey('k1');
const K2 = KeyRing.generateKey('k2');
const ROTATED = `${K2},${K1}`;
let h: Harness;
let client: Client;
const ids: string[] = [];

const sealedValues = (c: Connection) =>
  [...Object.values(c.secrets), c.accessToken, c.refreshToken].filter((v): v is string => v !== null);

beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false, env: { ENCRYPTION_KEYS: K1, JOB_RETENTION_COUNT: '10000' } });
  await h.applyConnector(providerConnector(h.provider.url, { refresh: { url: `${h.provider.url}/oauth/token` } }));
  const oldWorker: ChildProcess = await h.spawnWorker();
  const oldClient = createClient({ redisUrl: h.config.redisUrl, prefix: h.config.queuePrefix, encryptionKeys: K1 });
  for (let i = 0; i < 10; i++) {
    const clientId = `rot-${i}`;
    h.provider.registerClient({ clientId, clientSecret: `rot-secret-${i}`, issueRefreshToken: i % 2 === 0 });
    const { connectionId } = await oldClient.connect({
      owner: 'rot',
      connector: 'acme',
      fields: { client_id: clientId, client_secret: `rot-secret-${i}` },
    });
    ids.push(connectionId);
  }
  await oldClient.close();
  oldWorker.kill('SIGTERM');
  await once(oldWorker, 'exit');
  await h.spawnWorker({ ENCRYPTION_KEYS: ROTATED });
  client = createClient({ redisUrl: h.config.redisUrl, prefix: h.config.queuePrefix, encryptionKeys: ROTATED });
}, 60_000);
afterAll(async () => {
  await client?.close();
  await h?.close();
});

describe('key rotation while the worker runs', () => {
  it('no refresh or call fails, and every old value ends sealed with the new key', async () => {
    const ring = KeyRing.parse(ROTATED);
    const before = await Promise.all(ids.map((id) => h.runtime.store.connections.get(id)));
    expect(before.flatMap((c) => sealedValues(c!)).every((v) => !ring.isCurrent(v))).toBe(true);

    const jobs = Array.from({ length: 300 }, (_, i) => {
      const connectionId = ids[i % ids.length]!;
      return i % 5 === 0
        ? client.enqueue('refresh', { owner: 'rot', connectionId, force: true }).then((id) => ['refresh', id] as const)
        : client.enqueue('call', { owner: 'rot', connectionId, url: 'echo' }).then((id) => ['call', id] as const);
    });
    const rotation = rotateKeys(h.runtime.store, ring, { pageSize: 3 });
    const enqueued = await Promise.all(jobs);
    const results = await Promise.allSettled(enqueued.map(([name, id]) => client.result(name, id, 30_000)));
    const rotated = await rotation;

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(rotated.failed).toEqual([]);
    // Refreshes rewrite tokens, never secrets: every connection's secret was re-sealed by the rotation itself.
    expect(rotated.resealed).toBe(ids.length);
    const again = await rotateKeys(h.runtime.store, ring);
    const after = await Promise.all(ids.map((id) => h.runtime.store.connections.get(id)));
    // Either this run or the worker's own writes re-sealed everything; a second run finds nothing left.
    expect(again.resealed).toBe(0);
    for (const connection of after) {
      expect(connection?.status).toBe('active');
      for (const value of sealedValues(connection!)) expect(ring.isCurrent(value)).toBe(true);
      expect(KeyRing.parse(K2).open(connection!.secrets.client_secret!)).toMatch(/^rot-secret-/);
    }
  }, 60_000);
});
