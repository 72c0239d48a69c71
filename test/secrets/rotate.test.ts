import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openToken } from '../../src/connections/context.js';
import type { Connection } from '../../src/domain/model.js';
import { KeyRing } from '../../src/secrets/keyring.js';
import { tokenPlace } from '../../src/secrets/places.js';
import { rotateKeys } from '../../src/secrets/rotate.js';
import type { Store } from '../../src/store/port.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { connectionInput } from '../store/fixtures.js';
import { openedValues, sealedFor, sealLegacy } from '../support/sealed.js';

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

/**
 * A connection whose secret values and tokens are sealed with `keySpec`, bound to the connection, or in the earlier,
 * unbound format when `legacy`; the clear texts derive from `name`.
 */
async function seed(
  owner: string,
  name: string,
  keySpec: string,
  options: { withTokens?: boolean; legacy?: boolean } = {},
) {
  const withTokens = options.withTokens ?? true;
  const clear = {
    secrets: { client_secret: `secret-${name}`, private_key: `pem-${name}` },
    accessToken: withTokens ? `access-${name}` : null,
    refreshToken: withTokens ? `refresh-${name}` : null,
  };
  const legacy = (text: string | null) => (text === null ? null : sealLegacy(keySpec, text));
  const input = connectionInput({
    connector: 'test-api',
    owner,
    uniqueId: name,
    name,
    fields: { client_id: `id-${name}` },
    ...(options.legacy && {
      secrets: { client_secret: legacy(clear.secrets.client_secret)!, private_key: legacy(clear.secrets.private_key)! },
      accessToken: legacy(clear.accessToken),
      refreshToken: legacy(clear.refreshToken),
    }),
  });
  return store.connections.upsert(
    input,
    undefined,
    options.legacy ? undefined : sealedFor(KeyRing.parse(keySpec), clear),
  );
}

const sealedValues = (c: Connection) =>
  [...Object.values(c.secrets), c.accessToken, c.refreshToken].filter((v): v is string => v !== null);

async function owned(owner: string): Promise<Connection[]> {
  return (await store.connections.list({ owner }, { limit: 1000 })).items;
}

describe('rotateKeys', () => {
  it('when keys rotate from k1 to k2, every sealed value ends up under k2, bound, and opens to the same text', async () => {
    const owner = 'owner-e2e';
    for (let i = 0; i < 23; i++) await seed(owner, `c${i}`, k1, { withTokens: i % 4 !== 0, legacy: i % 2 === 0 });
    const before = await owned(owner);
    const progress: number[] = [];

    const first = await rotateKeys(store, rotated, { pageSize: 5, onProgress: (p) => progress.push(p.examined) });

    // Twelve legacy connections: six with two secrets and two tokens, six with two secrets only.
    expect(first).toMatchObject({ resealed: 23, conflicts: 0, upgraded: 6 * 4 + 6 * 2, failed: [] });
    expect(first.examined).toBeGreaterThanOrEqual(23); // other tests of this file may have stored connections too
    expect(progress.length).toBeGreaterThanOrEqual(5);
    const after = await owned(owner);
    for (const c of after) {
      const was = before.find((b) => b.id === c.id)!;
      for (const value of sealedValues(c)) expect(value.startsWith('sealed:v3:k2:')).toBe(true);
      expect(openedValues(onlyNew, c)).toEqual(openedValues(old, was));
      expect(c.accessToken === null).toBe(was.accessToken === null);
      expect(c.fields).toEqual(was.fields);
    }

    const second = await rotateKeys(store, rotated, { pageSize: 5 });
    expect(second.resealed).toBe(0);
    expect(await owned(owner)).toEqual(after);

    // With k1 gone from the ring, everything still opens.
    for (const c of await owned(owner)) for (const value of openedValues(onlyNew, c)) expect(value).toMatch(/-c\d+$/);
  });

  it('when a worker writes a connection during rotation, its write is kept and re-sealed too', async () => {
    const owner = 'owner-concurrent';
    const { connection: target } = await seed(owner, 'busy', k1);
    let interfered = false;
    // The real store, with a worker's write landing between rotation's read and its write of `target`.
    const racing: Store = {
      ...store,
      connections: {
        ...store.connections,
        async update(id, version, patch) {
          if (id === target.id && !interfered) {
            interfered = true;
            const renewed = await store.connections.update(id, version, {
              accessToken: old.seal('renewed-by-worker', tokenPlace(id, 'access_token')),
            });
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
    expect(openToken(onlyNew, after!, 'access_token')).toBe('renewed-by-worker');
    for (const value of sealedValues(after!)) expect(rotated.isCurrent(value)).toBe(true);
  });

  it('when a value opens with no key of the ring, that connection is reported and the others are still rotated', async () => {
    const owner = 'owner-lost-key';
    const { connection: bad } = await seed(owner, 'lost', KeyRing.generateKey('k0'));
    await seed(owner, 'fine', k1);

    const result = await rotateKeys(store, rotated);

    expect(result.failed).toEqual([{ connectionId: bad.id, message: expect.stringContaining('"k0"') }]);
    const fine = (await owned(owner)).find((c) => c.uniqueId === 'fine')!;
    for (const value of sealedValues(fine)) expect(rotated.isCurrent(value)).toBe(true);
    expect((await store.connections.get(bad.id))!.version).toBe(bad.version);
  });

  it('when a run is interrupted, running again finishes the rest', async () => {
    const owner = 'owner-resume';
    for (let i = 0; i < 12; i++) await seed(owner, `r${i}`, k1, { legacy: i % 3 === 0 });
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
