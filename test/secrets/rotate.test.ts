import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionInput } from '../../src/domain/model.js';
import { KeyRing } from '../../src/secrets/keyring.js';
import { rotateKeys } from '../../src/secrets/rotate.js';
import type { Store } from '../../src/store/port.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { connectionInput } from '../store/fixtures.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `rotate_test_${randomBytes(4).toString('hex')}`;
const k1 = KeyRing.generateKey('k1');
const k2 = KeyRing.generateKey('k2');
const old = KeyRing.parse(k1);
const rotated = KeyRing.parse(`${k2},${k1}`);
const onlyNew = KeyRing.parse(k2);

let store: Store;

beforeAll(async () => {
  store = createPostgresStore({ url: DATABASE_URL, schema });
  await store.migrate();
});

afterAll(async () => {
  await store?.close();
  const client = new pg.Client(DATABASE_URL);
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

/** A connection whose secret values and tokens are sealed with `keys`; the clear texts derive from `name`. */
function connection(owner: string, name: string, keys: KeyRing, withTokens = true): ConnectionInput {
  return connectionInput({
    connector: 'test-api',
    owner,
    uniqueId: name,
    name,
    fields: { client_id: `id-${name}` },
    secrets: { client_secret: keys.seal(`secret-${name}`), private_key: keys.seal(`pem-${name}`) },
    accessToken: withTokens ? keys.seal(`access-${name}`) : null,
    refreshToken: withTokens ? keys.seal(`refresh-${name}`) : null,
  });
}

const sealedValues = (c: Connection) =>
  [...Object.values(c.secrets), c.accessToken, c.refreshToken].filter((v): v is string => v !== null);

async function owned(owner: string): Promise<Connection[]> {
  return (await store.connections.list({ owner }, { limit: 1000 })).items;
}

describe('rotateKeys', () => {
  it('when keys rotate from k1 to k2, every sealed value ends up under k2 and opens to the same text', async () => {
    const owner = 'owner-e2e';
    for (let i = 0; i < 23; i++) await store.connections.upsert(connection(owner, `c${i}`, old, i % 4 !== 0));
    const before = await owned(owner);
    const progress: number[] = [];

    const first = await rotateKeys(store, rotated, { pageSize: 5, onProgress: (p) => progress.push(p.examined) });

    expect(first).toMatchObject({ resealed: 23, conflicts: 0, failed: [] });
    expect(first.examined).toBeGreaterThanOrEqual(23); // other tests of this file may have stored connections too
    expect(progress.length).toBeGreaterThanOrEqual(5);
    const after = await owned(owner);
    for (const c of after) {
      const was = before.find((b) => b.id === c.id)!;
      for (const value of sealedValues(c)) expect(value.startsWith('sealed:v1:k2:')).toBe(true);
      expect(sealedValues(c).map((v) => onlyNew.open(v))).toEqual(sealedValues(was).map((v) => old.open(v)));
      expect(c.accessToken === null).toBe(was.accessToken === null);
      expect(c.fields).toEqual(was.fields);
    }

    const second = await rotateKeys(store, rotated, { pageSize: 5 });
    expect(second.resealed).toBe(0);
    expect(await owned(owner)).toEqual(after);

    // With k1 gone from the ring, everything still opens.
    for (const c of await owned(owner))
      for (const value of sealedValues(c)) expect(onlyNew.open(value)).toMatch(/-c\d+$/);
  });

  it('when a worker writes a connection during rotation, its write is kept and re-sealed too', async () => {
    const owner = 'owner-concurrent';
    const { connection: target } = await store.connections.upsert(connection(owner, 'busy', old));
    let interfered = false;
    // The real store, with a worker's write landing between rotation's read and its write of `target`.
    const racing: Store = {
      ...store,
      connections: {
        ...store.connections,
        async update(id, version, patch) {
          if (id === target.id && !interfered) {
            interfered = true;
            const renewed = await store.connections.update(id, version, { accessToken: old.seal('renewed-by-worker') });
            expect(renewed).not.toBeNull();
          }
          return store.connections.update(id, version, patch);
        },
      },
    };

    const result = await rotateKeys(racing, rotated);

    expect(interfered).toBe(true);
    expect(result.conflicts).toBe(1);
    const [after] = await owned(owner);
    expect(onlyNew.open(after!.accessToken!)).toBe('renewed-by-worker');
    for (const value of sealedValues(after!)) expect(rotated.isCurrent(value)).toBe(true);
  });

  it('when a value opens with no key of the ring, that connection is reported and the others are still rotated', async () => {
    const owner = 'owner-lost-key';
    const lost = KeyRing.parse(KeyRing.generateKey('k0'));
    const { connection: bad } = await store.connections.upsert(connection(owner, 'lost', lost));
    await store.connections.upsert(connection(owner, 'fine', old));

    const result = await rotateKeys(store, rotated);

    expect(result.failed).toEqual([{ connectionId: bad.id, message: expect.stringContaining('"k0"') }]);
    const fine = (await owned(owner)).find((c) => c.uniqueId === 'fine')!;
    for (const value of sealedValues(fine)) expect(rotated.isCurrent(value)).toBe(true);
    expect((await store.connections.get(bad.id))!.version).toBe(bad.version);
  });

  it('when a run is interrupted, running again finishes the rest', async () => {
    const owner = 'owner-resume';
    for (let i = 0; i < 12; i++) await store.connections.upsert(connection(owner, `r${i}`, old));
    const controller = new AbortController();

    await expect(
      rotateKeys(store, rotated, { pageSize: 3, signal: controller.signal, onProgress: () => controller.abort() }),
    ).rejects.toThrow();
    const partly = (await owned(owner)).filter((c) => rotated.isCurrent(c.accessToken!)).length;
    expect(partly).toBeLessThan(12);

    const rest = await rotateKeys(store, rotated, { pageSize: 3 });
    expect(rest.resealed).toBeGreaterThanOrEqual(12 - partly);
    for (const c of await owned(owner))
      for (const value of sealedValues(c)) expect(rotated.isCurrent(value)).toBe(true);
  });
});
