/**
 * The store contract: one suite, run against every reachable adapter. PostgreSQL always runs (a fresh schema per
 * run), and so does the embedded PostgreSQL (a fresh directory per run); MongoDB runs when MONGODB_URL is set (a
 * fresh database per run).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionEventType, UpsertOutcome } from '../../src/domain/model.js';
import { connectionEvent } from '../../src/events/event.js';
import { createMongoStore } from '../../src/store/mongo/index.js';
import { createEmbeddedStore } from '../../src/store/pglite/index.js';
import type { Store } from '../../src/store/port.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { connectionInput, connectorDefinition, POSTGRES_URL, throwawaySchema } from './fixtures.js';

interface Target {
  /** Opens a store on this run's isolated namespace; called more than once to act as several processes. */
  open(): Store;
  /** Removes this run's namespace. */
  cleanup(): Promise<void>;
  /** Well-formed id that names no connection. */
  absentId: string;
}

function storeContract(name: string, target: () => Target) {
  describe(`store contract: ${name}`, () => {
    let setup: Target;
    let store: Store;
    let other: Store;

    beforeAll(async () => {
      setup = target();
      store = setup.open();
      other = setup.open();
      // Two "processes" creating the schema at the same moment.
      await Promise.all([store.migrate(), other.migrate()]);
    });

    afterAll(async () => {
      await store?.close();
      await other?.close();
      await setup?.cleanup();
    });

    const connections = () => store.connections;

    describe('migrate', () => {
      it('when run again, from either instance, it keeps the data and succeeds', async () => {
        const { connection } = await connections().upsert(connectionInput());
        await store.migrate();
        await Promise.all([store.migrate(), other.migrate()]);
        expect(await other.connections.get(connection.id)).toEqual(connection);
      });

      it('when the database answers, ping resolves', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describe('upsert', () => {
      it('when the account is new, it inserts at version 1 and reads back every field with its type', async () => {
        const input = connectionInput({
          lastError: { code: 'invalid_client', message: 'rejected', at: new Date('2030-01-02T03:04:05.678Z') },
          lastTest: { ok: false, status: null, error: 'timeout', at: new Date('2030-01-02T03:04:05.000Z') },
        });
        const { connection, created } = await connections().upsert(input);
        expect(created).toBe(true);
        expect(typeof connection.id).toBe('string');
        expect(connection.version).toBe(1);
        expect(connection).toMatchObject(input);
        expect(connection.createdAt).toBeInstanceOf(Date);
        expect(connection.updatedAt).toBeInstanceOf(Date);

        const read = await connections().get(connection.id);
        expect(read).toEqual(connection);
        expect(read?.lastTest?.at).toBeInstanceOf(Date);
        expect(read?.lastTest?.at.toISOString()).toBe('2030-01-02T03:04:05.000Z');
        expect(read?.lastError?.at.toISOString()).toBe('2030-01-02T03:04:05.678Z');
        expect(read?.expiresAt).toEqual(new Date('2031-01-01T01:00:00.000Z'));
      });

      it('when the account exists, it updates in place: same id, createdAt kept, version + 1', async () => {
        const input = connectionInput({ tokenMeta: { a: 1 }, fields: { client_id: 'client-1' } });
        const first = await connections().upsert(input);
        const second = await connections().upsert({
          ...input,
          name: 'Renamed',
          tokenMeta: {},
          scopes: [],
          renewAt: null,
        });
        expect(second.created).toBe(false);
        expect(second.connection.id).toBe(first.connection.id);
        expect(second.connection.createdAt).toEqual(first.connection.createdAt);
        expect(second.connection.version).toBe(2);
        expect(second.connection.updatedAt.getTime()).toBeGreaterThanOrEqual(first.connection.updatedAt.getTime());
        expect(await connections().get(first.connection.id)).toMatchObject({
          name: 'Renamed',
          tokenMeta: {},
          scopes: [],
        });
      });

      it('when given bind, it writes what bind returns for the id the connection gets, new or kept', async () => {
        const bound = (id: string) => ({ secrets: { client_secret: `for-${id}` }, accessToken: `token-${id}` });
        const input = connectionInput();
        const { connection: inserted } = await connections().upsert(input, undefined, bound);
        expect(inserted).toMatchObject({ ...bound(inserted.id), fields: input.fields, refreshToken: null });
        const { connection: updated } = await connections().upsert({ ...input, name: 'again' }, undefined, bound);
        expect(updated.id).toBe(inserted.id);
        expect(await connections().get(inserted.id)).toMatchObject({ name: 'again', ...bound(inserted.id) });
      });

      it('when only the owner or the unique id differs, it is another connection', async () => {
        const input = connectionInput();
        const a = await connections().upsert(input);
        const b = await connections().upsert({ ...input, uniqueId: 'client-2' });
        const c = await connections().upsert({ ...input, owner: `${input.owner}-other` });
        expect(new Set([a.connection.id, b.connection.id, c.connection.id]).size).toBe(3);
        expect([a.created, b.created, c.created]).toEqual([true, true, true]);
      });

      it('when 20 upserts of one account race, they end with one connection at version 20', async () => {
        const input = connectionInput();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, index) => connections().upsert({ ...input, name: `attempt ${index}` })),
        );
        expect(new Set(results.map((result) => result.connection.id)).size).toBe(1);
        expect(results.filter((result) => result.created)).toHaveLength(1);
        const { items } = await connections().list({ owner: input.owner });
        expect(items).toHaveLength(1);
        expect(items[0]?.version).toBe(20);
      });
    });

    describe('update', () => {
      it('when the version matches, it applies the patch, sets nulls and increments the version', async () => {
        const { connection } = await connections().upsert(connectionInput({ refreshToken: 'sealed:refresh' }));
        const at = new Date('2030-05-05T05:05:05.555Z');
        const updated = await connections().update(connection.id, 1, {
          status: 'error',
          refreshToken: null,
          renewAt: null,
          lastError: { code: 'invalid_client', message: 'client rejected', at },
          testValues: { account_id: 7 },
        });
        expect(updated).toMatchObject({
          id: connection.id,
          version: 2,
          status: 'error',
          refreshToken: null,
          accessToken: connection.accessToken,
          lastError: { code: 'invalid_client', message: 'client rejected', at },
          testValues: { account_id: 7 },
        });
        expect(await connections().get(connection.id)).toEqual(updated);
      });

      it('when the version moved on, it returns null and changes nothing', async () => {
        const { connection } = await connections().upsert(connectionInput());
        await connections().update(connection.id, 1, { name: 'first' });
        expect(await connections().update(connection.id, 1, { name: 'lost' })).toBeNull();
        expect(await connections().get(connection.id)).toMatchObject({ name: 'first', version: 2 });
      });

      it('when five writers race from the same version, exactly one wins', async () => {
        const { connection } = await connections().upsert(connectionInput());
        const results = await Promise.all(
          Array.from({ length: 5 }, (_, index) => connections().update(connection.id, 1, { name: `writer ${index}` })),
        );
        const winners = results.filter((result): result is Connection => result !== null);
        expect(winners).toHaveLength(1);
        expect(await connections().get(connection.id)).toMatchObject({ name: winners[0]?.name, version: 2 });
      });

      it('when an untyped caller sends bookkeeping keys, they are ignored', async () => {
        const { connection } = await connections().upsert(connectionInput());
        const sneaky = { owner: 'someone-else', connector: 'other', version: 99, createdAt: new Date(0), name: 'ok' };
        const updated = await connections().update(connection.id, 1, sneaky as never);
        expect(updated).toMatchObject({
          owner: connection.owner,
          connector: connection.connector,
          version: 2,
          createdAt: connection.createdAt,
          name: 'ok',
        });
      });

      it('when the id is malformed or unknown, it returns null', async () => {
        expect(await connections().update('not-an-id', 1, { name: 'x' })).toBeNull();
        expect(await connections().update(setup.absentId, 1, { name: 'x' })).toBeNull();
      });
    });

    describe('get', () => {
      it.each(['', 'nope', '123', "'; DROP TABLE connections; --", 'x'.repeat(24), '0'.repeat(36)])(
        'when the id is malformed (%j), it returns null',
        async (id) => {
          expect(await connections().get(id)).toBeNull();
        },
      );

      it('when the id is well-formed but unknown, it returns null', async () => {
        expect(await connections().get(setup.absentId)).toBeNull();
      });

      it('when many reads run at once, each gets its own connection, null where there is none, any case of its id', async () => {
        const written = await Promise.all(
          Array.from({ length: 30 }, (_, i) => connections().upsert(connectionInput({ uniqueId: `many-${i}` }))),
        );
        const ids = written.map(({ connection }) => connection.id);
        const asked = [...ids, setup.absentId, 'not-an-id', ids[3]!.toUpperCase(), ids[0]!];
        const read = await Promise.all(asked.map((id) => connections().get(id)));
        expect(read.map((connection) => connection?.uniqueId ?? null)).toEqual([
          ...ids.map((_, i) => `many-${i}`),
          null,
          null,
          'many-3',
          'many-0',
        ]);
        expect(read[0]).toEqual(written[0]!.connection);
      });

      it('when a read starts after an update returned, it sees the update, even among reads of the same turn', async () => {
        const { connection } = await connections().upsert(connectionInput({ uniqueId: 'read-after-write' }));
        const before = connections().get(connection.id);
        const updated = await other.connections.update(connection.id, connection.version, { name: 'renamed' });
        const [stale, after] = await Promise.all([before, connections().get(connection.id)]);
        expect(stale?.version).toBeLessThanOrEqual(updated?.version ?? 0);
        expect(after).toMatchObject({ name: 'renamed', version: updated?.version });
      });
    });

    describe('list', () => {
      it('filters by owner, connector and status, and pages by id until next is null', async () => {
        const owner = `owner-${randomUUID()}`;
        const made = await Promise.all(
          Array.from({ length: 5 }, (_, index) =>
            connections().upsert(
              connectionInput({
                owner,
                uniqueId: `client-${index}`,
                connector: index < 3 ? 'alpha' : 'beta',
                status: index % 2 === 0 ? 'active' : 'error',
              }),
            ),
          ),
        );
        await connections().upsert(connectionInput({ connector: 'alpha' })); // another owner

        const ids = made.map((result) => result.connection.id).sort();
        const seen: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await connections().list({ owner }, { limit: 2, ...(after ? { after } : {}) });
          expect(page.items.length).toBeLessThanOrEqual(2);
          seen.push(...page.items.map((item) => item.id));
          if (page.next === null) break;
          after = page.next;
        }
        expect(seen).toEqual(ids);

        const alpha = await connections().list({ owner, connector: 'alpha' });
        expect(alpha.items.map((item) => item.uniqueId).sort()).toEqual(['client-0', 'client-1', 'client-2']);
        expect(alpha.next).toBeNull();
        const activeBeta = await connections().list({ owner, connector: 'beta', status: 'active' });
        expect(activeBeta.items.map((item) => item.uniqueId)).toEqual(['client-4']);
      });

      it('when the limit is larger than the maximum, it clamps it to 1000', async () => {
        const page = await connections().list({ owner: `owner-${randomUUID()}` }, { limit: 5000 });
        expect(page).toEqual({ items: [], next: null });
      });

      it('when the cursor is not an id, it fails with invalid_input', async () => {
        await expect(connections().list({}, { after: 'garbage' })).rejects.toMatchObject({
          kind: 'invalid_input',
          code: 'invalid_cursor',
        });
      });
    });

    describe('findDue', () => {
      // Renewal times in 2001 keep this test's connections apart from the other tests' (null or later).
      const at = (minute: number) => new Date(Date.UTC(2001, 0, 1, 0, minute));

      it('returns only active, due connections, ordered by (renewAt, id), page by page', async () => {
        const owner = `owner-${randomUUID()}`;
        const make = (uniqueId: string, status: Connection['status'], renewAt: Date | null) =>
          connections().upsert(connectionInput({ owner, uniqueId, status, renewAt }));
        const due = await Promise.all([
          make('a', 'active', at(3)),
          make('b', 'active', at(1)),
          make('c', 'active', at(2)),
          make('d', 'active', at(2)), // same renewAt as c: the id breaks the tie
          make('e', 'active', at(5)), // exactly at the bound: due
        ]);
        await Promise.all([
          make('f', 'error', at(1)),
          make('g', 'revoked', at(1)),
          make('h', 'pending', at(1)),
          make('i', 'active', null),
          make('j', 'active', at(6)), // after the bound
        ]);

        const expected = due
          .map(({ connection }) => ({
            id: connection.id,
            owner,
            connector: connection.connector,
            renewAt: connection.renewAt,
          }))
          .sort((x, y) => x.renewAt!.getTime() - y.renewAt!.getTime() || (x.id < y.id ? -1 : 1));

        const all = await connections().findDue(at(5));
        expect(all).toEqual({ items: expected, next: null });

        const paged: unknown[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 10; pages++) {
          const page = await connections().findDue(at(5), { limit: 2, ...(after ? { after } : {}) });
          paged.push(...page.items);
          if (page.next === null) break;
          after = page.next;
        }
        expect(paged).toEqual(expected);

        expect((await connections().findDue(at(0))).items).toEqual([]);
      });

      it('when a connection is renewed, it leaves the due list', async () => {
        const { connection } = await connections().upsert(connectionInput({ renewAt: at(30) }));
        expect((await connections().findDue(at(30))).items.map((item) => item.id)).toContain(connection.id);
        await connections().update(connection.id, 1, { renewAt: new Date('2040-01-01T00:00:00Z') });
        expect((await connections().findDue(at(30))).items.map((item) => item.id)).not.toContain(connection.id);
      });

      it('when the cursor is malformed, it fails with invalid_input', async () => {
        await expect(connections().findDue(at(5), { after: 'not-a-cursor' })).rejects.toMatchObject({
          kind: 'invalid_input',
          code: 'invalid_cursor',
        });
      });
    });

    describe('countByStatus', () => {
      it('returns every status, counting the new connections in theirs', async () => {
        const before = await connections().countByStatus();
        expect(Object.keys(before).sort()).toEqual(['active', 'error', 'pending', 'revoked', 'revoking']);
        const owner = `owner-${randomUUID()}`;
        await connections().upsert(connectionInput({ owner, uniqueId: '1', status: 'revoking' }));
        await connections().upsert(connectionInput({ owner, uniqueId: '2', status: 'revoking' }));
        await connections().upsert(connectionInput({ owner, uniqueId: '3', status: 'pending' }));
        const after = await connections().countByStatus();
        expect(after).toEqual({ ...before, revoking: before.revoking + 2, pending: before.pending + 1 });
      });
    });

    describe('outbox', () => {
      const event = (connection: Connection, type: ConnectionEventType = 'connection.renewed') =>
        connectionEvent(connection, { status: connection.status, previousStatus: connection.status }, { type });
      /** Claims every pending connection and releases it with all its events: what one publisher round does. */
      const drain = async (target = store) => {
        const claimed = await target.outbox.claim(1000, 60_000);
        await target.outbox.release(
          claimed,
          claimed.flatMap((pending) => pending.events.map((item) => item.id)),
        );
        return new Map(claimed.map((pending) => [pending.connectionId, pending.events]));
      };

      it('when an update carries events, they are pending in order; a claim and a release leave the version alone', async () => {
        await drain();
        const { connection } = await connections().upsert(connectionInput());
        const events = [event(connection, 'connection.renewal_failed'), event(connection, 'connection.error')];
        const updated = await connections().update(connection.id, 1, { status: 'error' }, events);
        expect(updated?.version).toBe(2);
        expect(await connections().update(connection.id, 1, { name: 'lost' }, [event(connection)])).toBeNull();

        const pending = await drain();
        expect([...pending.keys()]).toEqual([connection.id]);
        expect(pending.get(connection.id)).toEqual(events);
        expect(await connections().get(connection.id)).toEqual(updated);
        expect((await drain()).size).toBe(0);
      });

      it('when an upsert inserts, its event says created; when it updates, updated with the previous status', async () => {
        await drain();
        const input = connectionInput({ status: 'error' });
        const outcomes: UpsertOutcome[] = [];
        const eventsFor = (outcome: UpsertOutcome) => {
          outcomes.push(outcome);
          return [
            connectionEvent(
              { id: outcome.id, owner: input.owner, connector: input.connector },
              { status: 'active', previousStatus: outcome.previousStatus },
              { type: outcome.created ? 'connection.created' : 'connection.updated' },
            ),
          ];
        };
        const first = await connections().upsert(input, eventsFor);
        const second = await connections().upsert({ ...input, status: 'active' }, eventsFor);
        expect(outcomes).toEqual([
          { created: true, id: first.connection.id, previousStatus: null },
          { created: false, id: first.connection.id, previousStatus: 'error' },
        ]);
        expect(second.connection.version).toBe(2);
        const pending = (await drain()).get(first.connection.id) ?? [];
        expect(pending.map((item) => [item.type, item.connectionId, item.previousStatus])).toEqual([
          ['connection.created', first.connection.id, null],
          ['connection.updated', first.connection.id, 'error'],
        ]);
      });

      it('when 20 upserts of one account race, the outbox holds one event per stored write: 1 created, 19 updated', async () => {
        await drain();
        const input = connectionInput();
        const results = await Promise.all(
          Array.from({ length: 20 }, () =>
            connections().upsert(input, (outcome) => [
              connectionEvent(
                { id: outcome.id, owner: input.owner, connector: input.connector },
                { status: 'active', previousStatus: outcome.previousStatus },
                { type: outcome.created ? 'connection.created' : 'connection.updated' },
              ),
            ]),
          ),
        );
        const id = results[0]?.connection.id ?? '';
        const pending = (await drain()).get(id) ?? [];
        expect(pending.map((item) => item.type).sort()).toEqual([
          'connection.created',
          ...Array.from({ length: 19 }, () => 'connection.updated'),
        ]);
        expect(pending[0]?.type).toBe('connection.created');
        expect(new Set(pending.map((item) => item.id)).size).toBe(20);
      });

      it('when two publishers claim at once, each connection goes to one of them; a lapsed lease frees it', async () => {
        await drain();
        const made = await Promise.all(
          Array.from({ length: 30 }, (_, index) => connections().upsert(connectionInput({ uniqueId: `o-${index}` }))),
        );
        for (const { connection } of made) await connections().update(connection.id, 1, {}, [event(connection)]);

        const [a, b] = await Promise.all([store.outbox.claim(20, 300), other.outbox.claim(20, 300)]);
        const claimedIds = [...(a ?? []), ...(b ?? [])].map((pending) => pending.connectionId);
        expect(claimedIds).toHaveLength(30);
        expect(new Set(claimedIds).size).toBe(30);
        expect(await store.outbox.claim(100, 300)).toEqual([]);

        await new Promise((resolve) => setTimeout(resolve, 400));
        expect((await drain(other)).size).toBe(30);
      });

      it('when events are added after the claim, the release keeps them for the next round', async () => {
        await drain();
        const { connection } = await connections().upsert(connectionInput());
        const before = event(connection);
        await connections().update(connection.id, 1, {}, [before]);
        const [claimed] = await store.outbox.claim(10, 60_000);
        const after = event(connection, 'connection.tested');
        await connections().update(connection.id, 2, {}, [after]);
        await store.outbox.release(claimed ? [claimed] : [], claimed?.events.map((item) => item.id) ?? []);
        expect((await drain()).get(connection.id)).toEqual([after]);
      });

      it('when a lapsed claim was taken over, the old release neither ends the new claim nor removes its events', async () => {
        await drain();
        const { connection } = await connections().upsert(connectionInput());
        const pending = event(connection);
        await connections().update(connection.id, 1, {}, [pending]);
        const [stale] = await store.outbox.claim(10, 100);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const [current] = await other.outbox.claim(10, 60_000);
        expect(stale?.connectionId).toBe(connection.id);
        expect(current?.connectionId).toBe(connection.id);
        expect(current?.claim).not.toBe(stale?.claim);

        // The publisher that lost its lease releases late, as if it had published: nothing changes.
        await store.outbox.release(stale ? [stale] : [], [pending.id]);
        await store.outbox.release([{ connectionId: connection.id, claim: 'forged' }], [pending.id]);
        expect(await store.outbox.claim(10, 60_000)).toEqual([]);

        // The current holder gives its claim back unpublished: the event is still there for the next round.
        await other.outbox.release(current ? [current] : [], []);
        expect((await drain()).get(connection.id)).toEqual([pending]);
      });
    });

    describe('connectors', () => {
      it('apply creates at version 1, reports an equal definition as unchanged, and bumps the version on change', async () => {
        const definition = connectorDefinition();
        expect(await store.connectors.apply(definition)).toEqual({ outcome: 'created', version: 1 });
        expect(await store.connectors.apply(definition)).toEqual({ outcome: 'unchanged', version: 1 });

        // Same content, keys in another order: still unchanged.
        const reordered = Object.fromEntries(Object.entries(definition).reverse()) as typeof definition;
        expect(await store.connectors.apply(reordered)).toEqual({ outcome: 'unchanged', version: 1 });

        const changed = { ...definition, name: 'Acme v2' };
        expect(await store.connectors.apply(changed)).toEqual({ outcome: 'updated', version: 2 });
        const stored = await store.connectors.get(definition.key);
        expect(stored?.definition).toEqual(changed);
        expect(stored?.version).toBe(2);
        expect(stored?.updatedAt).toBeInstanceOf(Date);
      });

      it('when the same new definition is applied concurrently, one creates it and the rest see it unchanged', async () => {
        const definition = connectorDefinition();
        const outcomes = await Promise.all(Array.from({ length: 5 }, () => other.connectors.apply(definition)));
        expect(outcomes.filter((result) => result.outcome === 'created')).toHaveLength(1);
        expect(outcomes.filter((result) => result.outcome === 'unchanged')).toHaveLength(4);
        expect(outcomes.every((result) => result.version === 1)).toBe(true);
      });

      it('get returns null for an unknown key, and list returns every definition sorted by key', async () => {
        expect(await store.connectors.get(`missing-${randomUUID()}`)).toBeNull();
        const keys = ['zz-last', 'aa-first'].map((prefix) => `${prefix}-${randomUUID().slice(0, 8)}`);
        for (const key of keys) await store.connectors.apply(connectorDefinition({ key }));
        const listed = (await store.connectors.list()).map((connector) => connector.definition.key);
        expect(listed).toEqual(expect.arrayContaining(keys));
        expect(listed).toEqual([...listed].sort());
      });
    });
  });
}

storeContract('PostgreSQL', () => {
  const schema = throwawaySchema('store_contract');
  return {
    open: () => createPostgresStore({ url: POSTGRES_URL, schema: schema.name, poolSize: 25 }),
    cleanup: schema.drop,
    absentId: '00000000-0000-4000-8000-000000000000',
  };
});

// Both "processes" of the suite share the one instance of the directory, as stores opened in one process do.
storeContract('embedded PostgreSQL (PGlite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-cc-pglite-'));
  return {
    open: () => createEmbeddedStore({ dir }),
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
    absentId: '00000000-0000-4000-8000-000000000000',
  };
});

const mongoUrl = process.env.MONGODB_URL;
if (!mongoUrl)
  console.log('store contract: skipped MongoDB, MONGODB_URL is not set (no MongoDB server to test against)');

describe.skipIf(!mongoUrl)('MongoDB', () => {
  storeContract('MongoDB', () => {
    const dbName = `store_contract_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    return {
      open: () => createMongoStore({ url: mongoUrl!, dbName }),
      async cleanup() {
        const connection = await mongoose.createConnection(mongoUrl!, { dbName }).asPromise();
        await connection.dropDatabase();
        await connection.close();
      },
      absentId: '000000000000000000000000',
    };
  });

  // MongoDB only: PostgreSQL's schema changes are migration steps, covered by test/store/postgres.test.ts.
  it('when a deployment holds an index of ours with an old definition, migrate replaces it and keeps foreign ones', async () => {
    const dbName = `store_indexes_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const connection = await mongoose.createConnection(mongoUrl!, { dbName }).asPromise();
    try {
      const collection = connection.collection('connections');
      await collection.createIndex({ renewAt: 1, _id: 1 }, { name: 'connections_due' });
      await collection.createIndex({ owner: 1, _id: 1 });
      await collection.createIndex({ status: 1 }, { name: 'ops_status' });
      const store = createMongoStore({ url: mongoUrl!, dbName });
      try {
        await store.migrate();
        await store.migrate();
      } finally {
        await store.close();
      }
      const indexes = await collection.listIndexes().toArray();
      expect(indexes.map((index) => index.name).sort()).toEqual([
        '_id_',
        'connections_account',
        'connections_due',
        'connections_outbox',
        'connections_owner',
        'ops_status',
      ]);
      expect(indexes.find((index) => index.name === 'connections_due')?.partialFilterExpression).toEqual({
        status: 'active',
      });
    } finally {
      await connection.dropDatabase();
      await connection.close();
    }
  });
});
