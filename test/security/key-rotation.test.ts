/**
 * Rotation of both rings while the worker runs. Connections made through a worker holding the at-rest key k1 and the
 * transport key t1; connects sealed with t1's public key left waiting in the queue; then a worker restarted with the
 * rings "k2,k1" and "t2,t1", and `rotateKeys` run while that worker renews tokens, makes calls and connects accounts
 * sealed with either public key. No job fails, and afterwards every sealed value is sealed with k2, bound to its
 * connection (the worker's new tokens and the rotated old values alike).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecrets } from '../../src/connections/context.js';
import type { Connection } from '../../src/domain/model.js';
import { type Client, createClient } from '../../src/queue/client.js';
import { KeyRing } from '../../src/secrets/keyring.js';
import { rotateKeys } from '../../src/secrets/rotate.js';
import { TransportKeyRing } from '../../src/secrets/transport.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';

const K1 = KeyRing.generateKey('k1');
const K2 = KeyRing.generateKey('k2');
const T1 = TransportKeyRing.generate('t1');
const T2 = TransportKeyRing.generate('t2');
const ROTATED = `${K2},${K1}`;
let h: Harness;
/** Producers that hold no at-rest key: one still given the old public key, one the new. */
let oldProducer: Client;
let newProducer: Client;
const ids: string[] = [];
const waiting: string[] = [];

const sealedValues = (c: Connection) =>
  [...Object.values(c.secrets), c.accessToken, c.refreshToken].filter((v): v is string => v !== null);

const producer = (publicKey: string) =>
  createClient({ ...h.clientOptions, transportPublicKey: publicKey, timeoutMs: 30_000 });

const register = (clientId: string, i: number) =>
  h.provider.registerClient({ clientId, clientSecret: `rot-secret-${i}`, issueRefreshToken: i % 2 === 0 });

beforeAll(async () => {
  h = await startHarness({
    inProcessWorker: false,
    env: { ENCRYPTION_KEYS: K1, TRANSPORT_PRIVATE_KEYS: T1.privateEntry, JOB_RETENTION_COUNT: '10000' },
  });
  await h.applyConnector(providerConnector(h.provider.url, { refresh: { url: `${h.provider.url}/oauth/token` } }));
  const oldWorker: ChildProcess = await h.spawnWorker();
  oldProducer = producer(T1.publicKey);
  for (let i = 0; i < 10; i++) {
    register(`rot-${i}`, i);
    const { connectionId } = await oldProducer.connect({
      owner: 'rot',
      connector: 'acme',
      fields: { client_id: `rot-${i}`, client_secret: `rot-secret-${i}` },
    });
    ids.push(connectionId);
  }
  oldWorker.kill('SIGTERM');
  await once(oldWorker, 'exit');
  // Sealed with the old public key while no worker runs: the new worker opens them with t1, still in its ring.
  for (let i = 10; i < 15; i++) {
    register(`rot-${i}`, i);
    const fields = { client_id: `rot-${i}`, client_secret: `rot-secret-${i}` };
    waiting.push(await oldProducer.enqueue('connect', { owner: 'rot', connector: 'acme', fields }));
  }
  await h.spawnWorker({ ENCRYPTION_KEYS: ROTATED, TRANSPORT_PRIVATE_KEYS: `${T2.privateEntry},${T1.privateEntry}` });
  newProducer = producer(T2.publicKey);
}, 60_000);
afterAll(async () => {
  await oldProducer?.close();
  await newProducer?.close();
  await h?.close();
});

describe('rotation of the at-rest and transport rings while the worker runs', () => {
  it('no connect, refresh or call fails, and every stored value ends sealed with the new key', async () => {
    const ring = KeyRing.parse(ROTATED);
    const before = await Promise.all(ids.map((id) => h.runtime.store.connections.get(id)));
    expect(before.flatMap((c) => sealedValues(c!)).every((v) => !ring.isCurrent(v))).toBe(true);

    const jobs = Array.from({ length: 300 }, (_, i) => {
      const connectionId = ids[i % ids.length]!;
      const client = i % 2 === 0 ? oldProducer : newProducer;
      if (i % 30 === 0) {
        const n = 15 + i / 30;
        register(`rot-${n}`, n);
        const fields = { client_id: `rot-${n}`, client_secret: `rot-secret-${n}` };
        return client
          .enqueue('connect', { owner: 'rot', connector: 'acme', fields })
          .then((id) => ['connect', id] as const);
      }
      return i % 5 === 0
        ? client.enqueue('refresh', { owner: 'rot', connectionId, force: true }).then((id) => ['refresh', id] as const)
        : client.enqueue('call', { owner: 'rot', connectionId, url: 'echo' }).then((id) => ['call', id] as const);
    });
    const rotation = rotateKeys(h.runtime.store, ring, { pageSize: 3 });
    const enqueued = [...waiting.map((id) => ['connect', id] as const), ...(await Promise.all(jobs))];
    const results = await Promise.allSettled(enqueued.map(([name, id]) => newProducer.result(name, id, 30_000)));
    const rotated = await rotation;

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(rotated.failed).toEqual([]);
    const again = await rotateKeys(h.runtime.store, ring);
    const all = (await h.runtime.store.connections.list({ owner: 'rot' }, { limit: 1000 })).items;
    expect(all).toHaveLength(10 + 5 + 10);
    // Either the first run or the worker's own writes re-sealed everything; a second run finds nothing left.
    expect(again.resealed).toBe(0);
    const onlyNew = KeyRing.parse(K2);
    for (const connection of all) {
      expect(connection.status).toBe('active');
      for (const value of sealedValues(connection)) expect(ring.isCurrent(value)).toBe(true);
      expect(openSecrets(onlyNew, connection).client_secret).toMatch(/^rot-secret-/);
    }
  }, 90_000);
});
