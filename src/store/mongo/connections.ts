/**
 * ConnectionStore on MongoDB, without multi-document transactions. The upsert reads the account's document, then
 * writes with a compare-and-set on its `version` (or inserts it; the unique (connector, owner, uniqueId) index makes
 * one of two racing inserts fail with a duplicate key); a writer that lost a race reads again. Knowing the previous
 * state before writing is what lets the events of the upsert go into the same single-document write. `update` is a
 * compare-and-set on `version` too; events are pushed to the document's `outbox` by the same update.
 */
import { Types } from 'mongoose';
import type { ConnectionEvent } from '../../domain/model.js';
import {
  CONNECTION_STATUSES,
  type Connection,
  type ConnectionPatch,
  type ConnectionStatus,
} from '../../domain/model.js';
import { decodeDueCursor, encodeDueCursor, invalidCursor, pageLimit } from '../paging.js';
import type { ConnectionStore } from '../port.js';
import { isDuplicateKey } from './errors.js';
import type { ConnectionDoc, Models } from './models.js';

/** A writer loses at most one race per competitor; enough for dozens of connects of one account at once. */
const UPSERT_ATTEMPTS = 100;

// Hex form only: ObjectId.isValid would also accept any 12-character string.
const OBJECT_ID = /^[0-9a-f]{24}$/i;
const isConnectionId = (id: string): boolean => OBJECT_ID.test(id);

/** Keys a patch must not write, even when an untyped caller sends them (the PostgreSQL adapter ignores them too). */
const NOT_PATCHABLE = new Set(['id', 'connector', 'owner', 'createdAt', 'updatedAt', 'version']);

function withoutUndefined(value: object): object {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined));
}

/** The `$set` document for the given fields: JSON text where the document keeps text, absent keys skipped. */
function toSet(patch: ConnectionPatch): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || NOT_PATCHABLE.has(key)) continue;
    if (key === 'tokenMeta' || key === 'testValues') set[key] = JSON.stringify(value);
    // The driver would store an undefined `error` as null; keep the shape the caller wrote.
    else if ((key === 'lastTest' || key === 'lastError') && value !== null)
      set[key] = withoutUndefined(value as object);
    else set[key] = value;
  }
  return set;
}

/** The update operators that add `events` to the outbox; none when there are no events. */
function pushEvents(events: readonly ConnectionEvent[]) {
  return events.length === 0 ? {} : { $push: { outbox: { $each: [...events] } } };
}

function toConnection(doc: ConnectionDoc): Connection {
  return {
    id: doc._id.toHexString(),
    connector: doc.connector,
    owner: doc.owner,
    uniqueId: doc.uniqueId,
    name: doc.name,
    status: doc.status,
    fields: doc.fields ?? {},
    secrets: doc.secrets ?? {},
    accessToken: doc.accessToken ?? null,
    refreshToken: doc.refreshToken ?? null,
    tokenType: doc.tokenType ?? null,
    scopes: doc.scopes ?? [],
    tokenMeta: JSON.parse(doc.tokenMeta ?? '{}'),
    testValues: JSON.parse(doc.testValues ?? '{}'),
    expiresAt: doc.expiresAt ?? null,
    renewAt: doc.renewAt ?? null,
    lastTest: doc.lastTest ?? null,
    lastError: doc.lastError ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    version: doc.version,
  };
}

export function mongoConnections({ Connections }: Models): ConnectionStore {
  return {
    async get(id) {
      if (!isConnectionId(id)) return null;
      const doc = await Connections.findById(id).lean<ConnectionDoc>();
      return doc ? toConnection(doc) : null;
    },

    async upsert(input, eventsFor = () => []) {
      const { connector, owner, uniqueId, ...rest } = input;
      for (let attempt = 1; attempt <= UPSERT_ATTEMPTS; attempt++) {
        const now = new Date();
        const previous = await Connections.findOne({ connector, owner, uniqueId }, { status: 1, version: 1 }).lean<
          Pick<ConnectionDoc, '_id' | 'status' | 'version'>
        >();
        const id = previous?._id ?? new Types.ObjectId();
        const events = eventsFor({
          created: !previous,
          id: id.toHexString(),
          previousStatus: previous?.status ?? null,
        });
        if (previous) {
          const doc = await Connections.findOneAndUpdate(
            { _id: id, version: previous.version },
            {
              $set: { ...toSet(rest), updatedAt: now, ...(events.length > 0 && { outboxPending: true }) },
              $inc: { version: 1 },
              ...pushEvents(events),
            },
            { returnDocument: 'after', lean: true },
          );
          if (doc) return { connection: toConnection(doc as ConnectionDoc), created: false };
          continue;
        }
        try {
          const [doc] = await Connections.insertMany(
            [
              {
                _id: id,
                connector,
                owner,
                uniqueId,
                ...toSet(rest),
                createdAt: now,
                updatedAt: now,
                version: 1,
                outbox: events,
                ...(events.length > 0 && { outboxPending: true }),
              },
            ],
            { lean: true },
          );
          if (!doc) throw new Error('upsert inserted no document');
          return { connection: toConnection(doc as unknown as ConnectionDoc), created: true };
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
      }
      throw new Error(`upsert of an account kept losing races after ${UPSERT_ATTEMPTS} attempts`);
    },

    async update(id, expectedVersion, patch, events = []) {
      if (!isConnectionId(id)) return null;
      const set = { ...toSet(patch), updatedAt: new Date(), ...(events.length > 0 && { outboxPending: true }) };
      const doc = await Connections.findOneAndUpdate(
        { _id: id, version: expectedVersion },
        { $set: set, $inc: { version: 1 }, ...pushEvents(events) },
        { returnDocument: 'after', lean: true },
      );
      return doc ? toConnection(doc as ConnectionDoc) : null;
    },

    async list(filter, page = {}) {
      const limit = pageLimit(page.limit);
      const query: Record<string, unknown> = {};
      if (filter.owner !== undefined) query.owner = filter.owner;
      if (filter.connector !== undefined) query.connector = filter.connector;
      if (filter.status !== undefined) query.status = filter.status;
      if (page.after !== undefined) {
        if (!isConnectionId(page.after)) throw invalidCursor('list');
        query._id = { $gt: new Types.ObjectId(page.after) };
      }
      const docs = await Connections.find(query)
        .sort({ _id: 1 })
        .limit(limit + 1)
        .lean<ConnectionDoc[]>();
      const items = docs.slice(0, limit).map(toConnection);
      return { items, next: docs.length > limit ? (items.at(-1)?.id ?? null) : null };
    },

    async findDue(before, page = {}) {
      const limit = pageLimit(page.limit);
      // `status: 'active'` is the index's partial filter, so the planner may use it.
      const query: Record<string, unknown> = { status: 'active', renewAt: { $lte: before } };
      if (page.after !== undefined) {
        const cursor = decodeDueCursor(page.after, isConnectionId);
        // (renewAt, _id) > cursor, with the renewAt bound kept on the index range.
        query.renewAt = { $gte: cursor.renewAt, $lte: before };
        query.$or = [{ renewAt: { $gt: cursor.renewAt } }, { _id: { $gt: new Types.ObjectId(cursor.id) } }];
      }
      const docs = await Connections.find(query, { owner: 1, connector: 1, renewAt: 1, 'lastError.at': 1 })
        .sort({ renewAt: 1, _id: 1 })
        .limit(limit + 1)
        .lean<Pick<ConnectionDoc, '_id' | 'owner' | 'connector' | 'renewAt' | 'lastError'>[]>();
      const items = docs.slice(0, limit).map((doc) => ({
        id: doc._id.toHexString(),
        owner: doc.owner,
        connector: doc.connector,
        renewAt: doc.renewAt as Date,
        ...(doc.lastError?.at && { lastErrorAt: doc.lastError.at }),
      }));
      const last = items.at(-1);
      return { items, next: docs.length > limit && last ? encodeDueCursor(last) : null };
    },

    async countByStatus() {
      const groups = await Connections.aggregate<{ _id: ConnectionStatus; count: number }>([
        { $group: { _id: '$status', count: { $sum: 1 } } },
      ]);
      const counts = Object.fromEntries(CONNECTION_STATUSES.map((status) => [status, 0])) as Record<
        ConnectionStatus,
        number
      >;
      for (const group of groups) counts[group._id] = group.count;
      return counts;
    },
  };
}
