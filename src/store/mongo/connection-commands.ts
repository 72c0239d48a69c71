/**
 * The filter and update documents the MongoDB ConnectionStore sends, as pure functions of the port's arguments, so
 * a test can hold them against the PostgreSQL adapter's statements without a server (test/store/mongo-commands.test.ts).
 * Every time the store decides is the database's (`$currentDate`), as `now()` is in PostgreSQL.
 */
import { Types } from 'mongoose';
import type { ConnectionEvent, ConnectionInput, ConnectionPatch } from '../../domain/model.js';
import { decodeDueCursor, invalidCursor } from '../paging.js';
import type { ConnectionStore } from '../port.js';

/**
 * How each changeable field is stored: as given, as JSON text (keys from outside may hold `.` or a leading `$`), or
 * as an object without its undefined keys (the driver would store them as null, PostgreSQL's JSON drops them). A
 * record over every key of `ConnectionPatch`, as PostgreSQL's PATCH_COLUMNS is: the same fields are writable.
 */
export const PATCH_FIELDS: Record<keyof ConnectionPatch, 'value' | 'json' | 'object'> = {
  uniqueId: 'value',
  name: 'value',
  status: 'value',
  fields: 'object',
  secrets: 'object',
  accessToken: 'value',
  refreshToken: 'value',
  tokenType: 'value',
  scopes: 'value',
  tokenMeta: 'json',
  testValues: 'json',
  expiresAt: 'value',
  renewAt: 'value',
  lastTest: 'object',
  lastError: 'object',
};

// Hex form only: ObjectId.isValid would also accept any 12-character string.
const OBJECT_ID = /^[0-9a-f]{24}$/i;
export const isObjectId = (id: string): boolean => OBJECT_ID.test(id);

function withoutUndefined(value: object): object {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined));
}

function stored(kind: 'value' | 'json' | 'object', value: unknown): unknown {
  if (value === null || kind === 'value') return value;
  return kind === 'json' ? JSON.stringify(value) : withoutUndefined(value as object);
}

/** The `$set` document of the changeable fields given; other keys (bookkeeping, unknown) are ignored, as in PostgreSQL. */
export function toSet(patch: ConnectionPatch): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || !Object.hasOwn(PATCH_FIELDS, key)) continue;
    set[key] = stored(PATCH_FIELDS[key as keyof ConnectionPatch], value);
  }
  return set;
}

export interface WriteCommand {
  filter: Record<string, unknown>;
  update: Record<string, unknown>;
}

/**
 * The compare-and-set of `update` (and of an upsert that found the account at `expectedVersion`): the patch, the
 * events pushed to the outbox, version + 1, `updatedAt` from the server's clock.
 */
export function updateCommand(
  id: Types.ObjectId,
  expectedVersion: number,
  patch: ConnectionPatch,
  events: readonly ConnectionEvent[],
): WriteCommand {
  return {
    filter: { _id: id, version: expectedVersion },
    update: {
      $set: { ...toSet(patch), ...(events.length > 0 && { outboxPending: true }) },
      $currentDate: { updatedAt: true },
      $inc: { version: 1 },
      ...(events.length > 0 && { $push: { outbox: { $each: [...events] } } }),
    },
  };
}

/**
 * The insert of a new account, sent as an upsert on a fresh `_id` so that the server stamps `createdAt` and
 * `updatedAt`: the filter can match no document, and a concurrent insert of the same account fails on the unique
 * (connector, owner, uniqueId) index.
 */
export function insertCommand(
  id: Types.ObjectId,
  input: ConnectionInput,
  events: readonly ConnectionEvent[],
): WriteCommand {
  const { connector, owner, uniqueId, ...rest } = input;
  return {
    filter: { _id: id, connector, owner, uniqueId },
    update: {
      $set: { ...toSet(rest), version: 1, outbox: [...events], ...(events.length > 0 && { outboxPending: true }) },
      $currentDate: { createdAt: true, updatedAt: true },
    },
  };
}

/** The document an insert stores, but for the server's timestamps: what the schema validates before sending. */
export function insertedDocument(command: WriteCommand): Record<string, unknown> {
  return { ...command.filter, ...(command.update.$set as Record<string, unknown>) };
}

export interface FindCommand {
  filter: Record<string, unknown>;
  sort: Record<string, 1>;
  /** One more than the page, to know whether another page follows. */
  limit: number;
}

/** The query of `list`: the filter's fields, after the cursor id, by id. */
export function listCommand(
  filter: Parameters<ConnectionStore['list']>[0],
  after: string | undefined,
  limit: number,
): FindCommand {
  const query: Record<string, unknown> = {};
  if (filter.owner !== undefined) query.owner = filter.owner;
  if (filter.connector !== undefined) query.connector = filter.connector;
  if (filter.status !== undefined) query.status = filter.status;
  if (after !== undefined) {
    if (!isObjectId(after)) throw invalidCursor('list');
    query._id = { $gt: new Types.ObjectId(after) };
  }
  return { filter: query, sort: { _id: 1 }, limit: limit + 1 };
}

/** The renewal scan: active connections with renewAt ≤ before, after the (renewAt, id) cursor, on connections_due. */
export function dueCommand(before: Date, after: string | undefined, limit: number): FindCommand {
  // `status: 'active'` is the index's partial filter, so the planner may use it.
  const query: Record<string, unknown> = { status: 'active', renewAt: { $lte: before } };
  if (after !== undefined) {
    const cursor = decodeDueCursor(after, isObjectId);
    // (renewAt, _id) > cursor, with the renewAt bound kept on the index range.
    query.renewAt = { $gte: cursor.renewAt, $lte: before };
    query.$or = [{ renewAt: { $gt: cursor.renewAt } }, { _id: { $gt: new Types.ObjectId(cursor.id) } }];
  }
  return { filter: query, sort: { renewAt: 1, _id: 1 }, limit: limit + 1 };
}
