/**
 * ConnectionStore on MongoDB, without multi-document transactions. The upsert reads the account's document, then
 * writes with a compare-and-set on its `version` (or inserts it; the unique (connector, owner, uniqueId) index makes
 * one of two racing inserts fail with a duplicate key); a writer that lost a race reads again. Knowing the previous
 * state before writing is what lets the events of the upsert go into the same single-document write. `update` is a
 * compare-and-set on `version` too; events are pushed to the document's `outbox` by the same update.
 *
 * The documents sent are built by connection-commands.ts; every write is first checked against the schema's guards
 * (models.ts), which are PostgreSQL's constraints.
 */
import { Types } from 'mongoose';
import { CONNECTION_STATUSES, type Connection, type ConnectionStatus } from '../../domain/model.js';
import { TurnBatch } from '../../turn-batch.js';
import { encodeDueCursor, pageLimit } from '../paging.js';
import type { ConnectionStore } from '../port.js';
import {
  dueCommand,
  insertCommand,
  insertedDocument,
  isObjectId,
  listCommand,
  updateCommand,
  type WriteCommand,
} from './connection-commands.js';
import { isDuplicateKey } from './errors.js';
import { type ConnectionDoc, checkInsert, checkSet, type Models } from './models.js';

/** A writer loses at most one race per competitor; enough for dozens of connects of one account at once. */
const UPSERT_ATTEMPTS = 100;

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

/** Reads of connections leave the outbox out: its events can be many, and are not part of a connection. */
const OUTBOX_LEFT_OUT = { outbox: 0, outboxPending: 0, outboxClaimedUntil: 0, outboxClaim: 0 } as const;

export function mongoConnections({ Connections }: Models): ConnectionStore {
  /** A compare-and-set update: the new document, or null when the filter matched none. */
  const write = async ({ filter, update }: WriteCommand) => {
    await checkSet(Connections, update.$set as Record<string, unknown>);
    const doc = await Connections.findOneAndUpdate(filter, update, { returnDocument: 'after', lean: true });
    return doc ? toConnection(doc as ConnectionDoc) : null;
  };

  // The reads of one turn in one query, as on PostgreSQL: a round trip per read costs more than the rest of a call.
  const reads = new TurnBatch<Connection>(async (ids) => {
    const docs = await Connections.find(
      { _id: { $in: ids.map((id) => new Types.ObjectId(id)) } },
      OUTBOX_LEFT_OUT,
    ).lean<ConnectionDoc[]>();
    const byId = new Map(docs.map((doc) => [doc._id.toHexString(), toConnection(doc)]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  return {
    async get(id) {
      if (!isObjectId(id)) return null;
      // Ids read back in lower case hex; one in upper case names the same document.
      const [connection] = await reads.load([id.toLowerCase()]);
      return connection ?? null;
    },

    async upsert(input, eventsFor = () => [], bind = () => ({})) {
      const { connector, owner, uniqueId, ...unbound } = input;
      for (let attempt = 1; attempt <= UPSERT_ATTEMPTS; attempt++) {
        const previous = await Connections.findOne({ connector, owner, uniqueId }, { status: 1, version: 1 }).lean<
          Pick<ConnectionDoc, '_id' | 'status' | 'version'>
        >();
        const id = previous?._id ?? new Types.ObjectId();
        const events = eventsFor({
          created: !previous,
          id: id.toHexString(),
          previousStatus: previous?.status ?? null,
        });
        const rest = { ...unbound, ...bind(id.toHexString()) };
        if (previous) {
          const connection = await write(updateCommand(id, previous.version, rest, events));
          if (connection) return { connection, created: false };
          continue;
        }
        const command = insertCommand(id, input, events);
        await checkInsert(Connections, insertedDocument(command), ['createdAt', 'updatedAt']);
        try {
          const doc = await Connections.findOneAndUpdate(command.filter, command.update, {
            upsert: true,
            setDefaultsOnInsert: false,
            returnDocument: 'after',
            lean: true,
          });
          if (!doc) throw new Error('upsert inserted no document');
          return { connection: toConnection(doc as ConnectionDoc), created: true };
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
      }
      throw new Error(`upsert of an account kept losing races after ${UPSERT_ATTEMPTS} attempts`);
    },

    async update(id, expectedVersion, patch, events = []) {
      if (!isObjectId(id)) return null;
      return write(updateCommand(new Types.ObjectId(id), expectedVersion, patch, events));
    },

    async list(filter, page = {}) {
      const limit = pageLimit(page.limit);
      const command = listCommand(filter, page.after, limit);
      const docs = await Connections.find(command.filter)
        .sort(command.sort)
        .limit(command.limit)
        .lean<ConnectionDoc[]>();
      const items = docs.slice(0, limit).map(toConnection);
      return { items, next: docs.length > limit ? (items.at(-1)?.id ?? null) : null };
    },

    async findDue(before, page = {}) {
      const limit = pageLimit(page.limit);
      const command = dueCommand(before, page.after, limit);
      const docs = await Connections.find(command.filter, { owner: 1, connector: 1, renewAt: 1, 'lastError.at': 1 })
        .sort(command.sort)
        .limit(command.limit)
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
