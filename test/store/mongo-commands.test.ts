/**
 * The MongoDB adapter's decisions, checked without a server: the filter and update documents it sends for each port
 * method (built by the pure functions the adapter uses), its schema guards against PostgreSQL's constraints, and its
 * index upkeep. What needs a running MongoDB is the contract suite's (contract.test.ts, with MONGODB_URL).
 */
import mongoose, { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { CONNECTION_STATUSES } from '../../src/domain/model.js';
import { connectionEvent } from '../../src/events/event.js';
import {
  dueCommand,
  insertCommand,
  insertedDocument,
  listCommand,
  PATCH_FIELDS,
  toSet,
  updateCommand,
} from '../../src/store/mongo/connection-commands.js';
import { applyCommand } from '../../src/store/mongo/connector-commands.js';
import { declaredIndexes, type IndexSpec, indexesToDrop } from '../../src/store/mongo/indexes.js';
import { defineModels } from '../../src/store/mongo/models.js';
import {
  CLAIMABLE,
  candidatesFilter,
  claimCommand,
  claimedFilter,
  releaseCommands,
} from '../../src/store/mongo/outbox-commands.js';
import { encodeDueCursor } from '../../src/store/paging.js';
import { MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { PATCH_COLUMNS } from '../../src/store/postgres/rows.js';
import { connectionInput, connectorDefinition } from './fixtures.js';

// Models compiled on a connection that never opens: validation and index declarations need no server.
const models = defineModels(mongoose.createConnection());

/** Every Date inside a value: a date in a command is a time decided by this process's clock. */
function datesIn(value: unknown): Date[] {
  if (value instanceof Date) return [value];
  if (value === null || typeof value !== 'object' || value instanceof Types.ObjectId) return [];
  return Object.values(value).flatMap(datesIn);
}

const event = (id: Types.ObjectId) =>
  connectionEvent(
    { id: id.toHexString(), owner: 'o', connector: 'acme' },
    { status: 'active', previousStatus: null },
    { type: 'connection.created' },
  );

describe('MongoDB commands: connections', () => {
  it('the writable fields are exactly PostgreSQL’s patch columns', () => {
    expect(Object.keys(PATCH_FIELDS).sort()).toEqual(Object.keys(PATCH_COLUMNS).sort());
  });

  it('update is a compare-and-set on version that increments it and lets the server stamp updatedAt', () => {
    const id = new Types.ObjectId();
    expect(updateCommand(id, 3, { name: 'n', status: 'error', renewAt: null }, [])).toEqual({
      filter: { _id: id, version: 3 },
      update: {
        $set: { name: 'n', status: 'error', renewAt: null },
        $currentDate: { updatedAt: true },
        $inc: { version: 1 },
      },
    });
  });

  it('update carries no time of this process but the patch’s own dates', () => {
    const renewAt = new Date('2030-01-01T00:00:00.000Z');
    const command = updateCommand(new Types.ObjectId(), 1, { renewAt, name: 'n' }, [event(new Types.ObjectId())]);
    expect(datesIn(command)).toEqual([renewAt]);
  });

  it('when an untyped caller sends bookkeeping or unknown keys, they are left out as PostgreSQL leaves them', () => {
    const sneaky = {
      owner: 'someone-else',
      connector: 'other',
      version: 99,
      createdAt: new Date(0),
      updatedAt: new Date(0),
      id: 'x',
      _id: 'x',
      outbox: [],
      outboxClaim: 'forged',
      outboxClaimedUntil: new Date(0),
      name: 'ok',
    };
    expect(toSet(sneaky as never)).toEqual({ name: 'ok' });
  });

  it('stores external keys as JSON text, keeps nulls, and drops undefined keys as PostgreSQL’s JSON does', () => {
    const at = new Date('2030-01-01T00:00:00.000Z');
    expect(
      toSet({
        tokenMeta: { 'a.b': 1, $c: 2 },
        testValues: null,
        refreshToken: null,
        lastError: { code: 'invalid_client', message: 'm', at, detail: undefined },
        lastTest: null,
        name: undefined,
        // testValues may not be null; an untyped caller may still send it (the guards refuse it, see mongo-guards).
      } as never),
    ).toEqual({
      tokenMeta: '{"a.b":1,"$c":2}',
      testValues: null,
      refreshToken: null,
      lastError: { code: 'invalid_client', message: 'm', at },
      lastTest: null,
    });
  });

  it('events go to the outbox in order by the same update, and flag it pending; without events neither', () => {
    const id = new Types.ObjectId();
    const events = [event(id), event(id)];
    const { update } = updateCommand(id, 1, {}, events);
    expect(update.$push).toEqual({ outbox: { $each: events } });
    expect(update.$set).toEqual({ outboxPending: true });
    const without = updateCommand(id, 1, {}, []).update;
    expect(without).not.toHaveProperty('$push');
    expect(without.$set).toEqual({});
  });

  it('insert is an upsert on a fresh id and the account, at version 1, with both timestamps from the server', () => {
    const id = new Types.ObjectId();
    const input = connectionInput();
    const events = [event(id)];
    const command = insertCommand(id, input, events);
    expect(command.filter).toEqual({
      _id: id,
      connector: input.connector,
      owner: input.owner,
      uniqueId: input.uniqueId,
    });
    expect(command.update.$currentDate).toEqual({ createdAt: true, updatedAt: true });
    expect(command.update.$set).toMatchObject({ version: 1, outbox: events, outboxPending: true });
    expect(command.update.$set).not.toHaveProperty('createdAt');
    expect(datesIn(command).sort((a, b) => a.getTime() - b.getTime())).toEqual(
      [input.lastTest?.at, input.expiresAt].filter((date) => date instanceof Date),
    );
  });

  it('list filters by the given fields only, after the cursor id, by id, one more than the page', () => {
    const after = new Types.ObjectId();
    expect(listCommand({ owner: 'o', connector: 'acme', status: 'active' }, after.toHexString(), 2)).toEqual({
      filter: { owner: 'o', connector: 'acme', status: 'active', _id: { $gt: after } },
      sort: { _id: 1 },
      limit: 3,
    });
    expect(listCommand({ owner: 'o' }, undefined, 100).filter).toEqual({ owner: 'o' });
  });

  it('list and findDue refuse the cursors PostgreSQL refuses, with the same error', () => {
    for (const run of [() => listCommand({}, 'garbage', 10), () => dueCommand(new Date(), 'not-a-cursor', 10)]) {
      expect(run).toThrow(expect.objectContaining({ kind: 'invalid_input', code: 'invalid_cursor' }));
    }
  });

  it('findDue reads active connections due by the bound, after the (renewAt, id) cursor, in that order', () => {
    const before = new Date('2030-01-01T00:00:00.000Z');
    const id = new Types.ObjectId();
    const renewAt = new Date('2029-12-31T00:00:00.000Z');
    expect(dueCommand(before, encodeDueCursor({ renewAt, id: id.toHexString() }), 50)).toEqual({
      filter: {
        status: 'active',
        renewAt: { $gte: renewAt, $lte: before },
        $or: [{ renewAt: { $gt: renewAt } }, { _id: { $gt: id } }],
      },
      sort: { renewAt: 1, _id: 1 },
      limit: 51,
    });
  });
});

describe('MongoDB commands: connectors', () => {
  it('apply updates only a different definition, increments the version and lets the server stamp updatedAt', () => {
    const definition = connectorDefinition();
    const command = applyCommand(definition);
    expect(command.filter).toEqual({ key: definition.key, definition: { $ne: command.canonical } });
    expect(command.update).toEqual({
      $set: { definition: command.canonical },
      $currentDate: { updatedAt: true },
      $inc: { version: 1 },
    });
    const reordered = Object.fromEntries(Object.entries(definition).reverse()) as typeof definition;
    expect(applyCommand(reordered)).toEqual(command);
  });
});

describe('MongoDB commands: outbox', () => {
  it('claims with one write that re-checks every candidate and takes the lease end from the server clock', () => {
    const ids = [new Types.ObjectId(), new Types.ObjectId()];
    const command = claimCommand(ids, 'token', 30_000);
    expect(command).toEqual({
      filter: { _id: { $in: ids }, ...CLAIMABLE },
      update: [{ $set: { outboxClaim: { $literal: 'token' }, outboxClaimedUntil: { $add: ['$$NOW', 30_000] } } }],
    });
    expect(CLAIMABLE).toEqual({
      outboxPending: true,
      $or: [{ outboxClaimedUntil: null }, { $expr: { $lt: ['$outboxClaimedUntil', '$$NOW'] } }],
    });
    expect(claimedFilter(ids, 'token')).toEqual({ _id: { $in: ids }, outboxClaim: 'token' });
    expect(candidatesFilter(ids)).toEqual({ ...CLAIMABLE, _id: { $nin: ids } });
    expect(datesIn([command, CLAIMABLE])).toEqual([]);
  });

  it('a release is fenced by its claim: one write per claim, only on documents still under it', () => {
    const [a, b, c] = [new Types.ObjectId(), new Types.ObjectId(), new Types.ObjectId()];
    const commands = releaseCommands(
      [
        { connectionId: a.toHexString(), claim: 'first' },
        { connectionId: 'not-an-id', claim: 'first' },
        { connectionId: b.toHexString(), claim: 'first' },
        { connectionId: c.toHexString(), claim: 'second' },
      ],
      ['e1', '$e2'],
    );
    expect(commands.map((command) => command.filter)).toEqual([
      { _id: { $in: [a, b] }, outboxClaim: 'first' },
      { _id: { $in: [c] }, outboxClaim: 'second' },
    ]);
    expect(commands[0]?.update).toEqual([
      {
        $set: {
          outbox: {
            $filter: {
              input: { $ifNull: ['$outbox', []] },
              as: 'event',
              cond: { $not: [{ $in: ['$$event.id', { $literal: ['e1', '$e2'] }] }] },
            },
          },
        },
      },
      { $set: { outboxPending: { $cond: [{ $gt: [{ $size: '$outbox' }, 0] }, true, '$$REMOVE'] } } },
      { $unset: ['outboxClaim', 'outboxClaimedUntil'] },
    ]);
    expect(releaseCommands([], ['e1'])).toEqual([]);
  });
});

describe('MongoDB schema guards equal PostgreSQL’s constraints', () => {
  const connectionsSql = MIGRATIONS.find((step) => step.id === '002_connections')?.sql((name) => name) ?? '';
  const connectorsSql = MIGRATIONS.find((step) => step.id === '001_connectors')?.sql((name) => name) ?? '';
  const camel = (column: string) => column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
  // A primary key is NOT NULL too; `id` is MongoDB's `_id`, which every document has.
  const notNullColumns = (sql: string) =>
    [...sql.matchAll(/^\s*([a-z_]+) [a-z0-9()[\]]+.*(NOT NULL|PRIMARY KEY)/gm)]
      .map((match) => camel(match[1] ?? ''))
      .filter((field) => field !== 'id')
      .sort();
  const requiredPaths = (model: { schema: mongoose.Schema }) =>
    Object.entries(model.schema.paths)
      .filter(([, type]) => type.isRequired)
      .map(([path]) => path)
      .sort();

  it('the required fields are the NOT NULL columns', () => {
    expect(requiredPaths(models.Connections)).toEqual(notNullColumns(connectionsSql));
    expect(requiredPaths(models.Connectors)).toEqual(notNullColumns(connectorsSql));
    expect(notNullColumns(connectionsSql)).toContain('status');
  });

  it('the status enum is the CHECK constraint’s list and the domain’s', () => {
    const check = /status IN \(([^)]*)\)/.exec(connectionsSql)?.[1] ?? '';
    const listed = check.split(',').map((value) => value.trim().replaceAll("'", ''));
    expect(listed).toEqual([...CONNECTION_STATUSES]);
    expect((models.Connections.schema.path('status') as unknown as { enumValues: string[] }).enumValues).toEqual(
      listed,
    );
  });

  it('validation needs no connection and names the failing field', () => {
    const bad = insertedDocument(
      insertCommand(new Types.ObjectId(), connectionInput({ status: 'bogus' as never }), []),
    );
    const error = new models.Connections(bad).validateSync(undefined, { pathsToSkip: ['createdAt', 'updatedAt'] });
    expect(Object.keys(error?.errors ?? {})).toEqual(['status']);
  });
});

describe('MongoDB index upkeep', () => {
  const declared = declaredIndexes(models.Connections);
  const deployed = (name: string): IndexSpec => {
    const index = declared.find((spec) => spec.name === name);
    if (!index) throw new Error(`no declared index ${name}`);
    return index;
  };

  it('declares the indexes of PostgreSQL’s migrations: account unique, due partial, owner, outbox partial', () => {
    expect(declared.map((index) => index.name).sort()).toEqual([
      'connections_account',
      'connections_due',
      'connections_outbox',
      'connections_owner',
    ]);
    expect(deployed('connections_account').unique).toBe(true);
  });

  it('an index of ours whose definition changed is dropped to be created again; others are kept', () => {
    const existing: IndexSpec[] = [
      { name: '_id_', key: { _id: 1 } },
      deployed('connections_account'),
      // An older deployment: the due index without its partial filter, the owner keys under mongoose's default name.
      { name: 'connections_due', key: { renewAt: 1, _id: 1 } },
      { name: 'owner_1__id_1', key: { owner: 1, _id: 1 } },
      { ...deployed('connections_outbox'), partialFilterExpression: { outboxPending: true } },
      // An operator's own index.
      { name: 'ops_status', key: { status: 1 } },
    ];
    expect(indexesToDrop(existing, declared)).toEqual(['connections_due', 'owner_1__id_1']);
    expect(indexesToDrop(declared, declared)).toEqual([]);
  });
});
