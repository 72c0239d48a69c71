/**
 * ConnectionStore on MongoDB. The upsert is one `findOneAndUpdate` on the unique (connector, owner, uniqueId)
 * index; two racing inserts make one of them fail with a duplicate key, and its retry then updates the winner's
 * document. `update` is a compare-and-set on `version`.
 */
import { Types } from 'mongoose';
import { decodeDueCursor, encodeDueCursor, invalidCursor, pageLimit } from '../paging.js';
import {
  CONNECTION_STATUSES,
  type Connection,
  type ConnectionPatch,
  type ConnectionStatus,
  type ConnectionStore,
} from '../port.js';
import { isDuplicateKey } from './errors.js';
import type { ConnectionDoc, Models } from './models.js';

/** Insert races lose at most once per competitor; a few attempts are plenty. */
const UPSERT_ATTEMPTS = 5;

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

    async upsert(input) {
      const { connector, owner, uniqueId, ...rest } = input;
      for (let attempt = 1; ; attempt++) {
        const now = new Date();
        try {
          const result = await Connections.findOneAndUpdate(
            { connector, owner, uniqueId },
            { $set: { ...toSet(rest), updatedAt: now }, $setOnInsert: { createdAt: now }, $inc: { version: 1 } },
            {
              upsert: true,
              setDefaultsOnInsert: false,
              returnDocument: 'after',
              includeResultMetadata: true,
              lean: true,
            },
          );
          const doc = result.value as ConnectionDoc | null;
          if (!doc) throw new Error('upsert returned no document');
          return { connection: toConnection(doc), created: result.lastErrorObject?.updatedExisting !== true };
        } catch (error) {
          if (!isDuplicateKey(error) || attempt >= UPSERT_ATTEMPTS) throw error;
        }
      }
    },

    async update(id, expectedVersion, patch) {
      if (!isConnectionId(id)) return null;
      const set = { ...toSet(patch), updatedAt: new Date() };
      const doc = await Connections.findOneAndUpdate(
        { _id: id, version: expectedVersion },
        { $set: set, $inc: { version: 1 } },
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
