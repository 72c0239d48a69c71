/**
 * ConnectionStore on PostgreSQL. Concurrency rests on the database: the upsert is one `INSERT … ON CONFLICT`
 * statement on the account's unique key, and `update` is a compare-and-set on `version`. Events are appended to
 * `pending_events` by the very statement that writes the change they announce.
 */

import { randomUUID } from 'node:crypto';
import type { Connection, ConnectionEvent, ConnectionInput } from '../../domain/model.js';
import { CONNECTION_STATUSES, type ConnectionStatus, type DueConnection } from '../../domain/model.js';
import { TurnBatch } from '../../turn-batch.js';
import { decodeDueCursor, encodeDueCursor, invalidCursor, pageLimit } from '../paging.js';
import type { ConnectionStore } from '../port.js';
import { type Db, ROLLBACK } from './db.js';
import {
  CONNECTION_COLUMNS,
  type ConnectionRow,
  isConnectionId,
  PATCH_COLUMNS,
  patchColumn,
  toConnection,
} from './rows.js';

const UPSERT_KEYS = Object.keys(PATCH_COLUMNS) as (keyof typeof PATCH_COLUMNS)[];
// uniqueId is part of the conflict key, so an upsert never changes it.
const UPDATED_ON_CONFLICT = UPSERT_KEYS.filter((key) => key !== 'uniqueId').map((key) => PATCH_COLUMNS[key].column);
/** An insert of a new account raced with ours at most once: after that the row exists and is locked first. */
const UPSERT_ATTEMPTS = 3;

/** `pending_events` with `added` appended; either side may be null. */
const appendEvents = (current: string, added: string) => `COALESCE(${current} || ${added}, ${current}, ${added})`;
/** Events as a query parameter: null when there are none, so `pending_events` stays null when nothing is pending. */
const eventsParam = (events: readonly ConnectionEvent[]) => (events.length === 0 ? null : JSON.stringify(events));

interface DueRow {
  id: string;
  owner: string;
  connector: string;
  renew_at: Date;
  last_error_at: string | null;
}

/**
 * The renewal scan: $1 = before, $2 = limit, and with a cursor $3, $4 = the last (renew_at, id) read. Its predicate
 * and order match the partial index connections_due_idx; exported so a test can EXPLAIN the very same text.
 */
export function findDueSql(connections: string, withCursor: boolean): string {
  return `SELECT id, owner, connector, renew_at, last_error->>'at' AS last_error_at FROM ${connections}
    WHERE status = 'active' AND renew_at IS NOT NULL AND renew_at <= $1
      ${withCursor ? 'AND (renew_at, id) > ($3::timestamptz, $4::uuid)' : ''}
    ORDER BY renew_at, id LIMIT $2`;
}

export function postgresConnections(db: Db): ConnectionStore {
  const connections = db.table('connections');

  // $1 id (used when inserting), $2 connector, $3 owner, then the patch columns, then the events.
  const upsertSql = `INSERT INTO ${connections} (id, connector, owner, ${UPSERT_KEYS.map((key) => PATCH_COLUMNS[key].column).join(', ')}, pending_events)
    VALUES (${[...UPSERT_KEYS, 'id', 'connector', 'owner'].map((_, index) => `$${index + 1}`).join(', ')}, $${UPSERT_KEYS.length + 4}::jsonb)
    ON CONFLICT (connector, owner, unique_id) DO UPDATE SET
      ${UPDATED_ON_CONFLICT.map((column) => `${column} = EXCLUDED.${column}`).join(', ')},
      pending_events = ${appendEvents(`${connections}.pending_events`, 'EXCLUDED.pending_events')},
      updated_at = now(), version = ${connections}.version + 1
    RETURNING *, (xmax = 0) AS created`;
  // Locks the account's row, if it exists, until the upsert commits: what it read is what the upsert overwrites.
  const previousSql = `SELECT id, status FROM ${connections}
    WHERE connector = $1 AND owner = $2 AND unique_id = $3 FOR UPDATE`;

  // The reads of one turn in one statement: on a busy worker whose cache misses, a statement per read costs more than
  // the rest of the call (a round trip, a parse, a plan and a result description each).
  const reads = new TurnBatch<Connection>(async (ids) => {
    const rows = await db.query<ConnectionRow>(
      `SELECT ${CONNECTION_COLUMNS} FROM ${connections} WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const byId = new Map(rows.map((row) => [row.id, toConnection(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  return {
    async get(id) {
      if (!isConnectionId(id)) return null;
      // Rows carry the canonical (lower case) form; an id in upper case names the same row.
      const [connection] = await reads.load([id.toLowerCase()]);
      return connection ?? null;
    },

    /**
     * The events depend on what the upsert finds, so the row is read (and locked) first, in the same transaction.
     * When there was no row and a concurrent insert won the race, the events were made for an insert: roll back and
     * run again, now finding the row.
     */
    async upsert(input, eventsFor = () => [], bind = () => ({})) {
      for (let attempt = 1; attempt <= UPSERT_ATTEMPTS; attempt++) {
        const row = await db.transaction(async (query) => {
          const [previous] = await query<{ id: string; status: ConnectionStatus }>(previousSql, [
            input.connector,
            input.owner,
            input.uniqueId,
          ]);
          const id = previous?.id ?? randomUUID();
          const events = eventsFor({ created: !previous, id, previousStatus: previous?.status ?? null });
          const values: ConnectionInput = { ...input, ...bind(id) };
          const params = [
            id,
            input.connector,
            input.owner,
            ...UPSERT_KEYS.map((key) => PATCH_COLUMNS[key].encode(values[key])),
            eventsParam(events),
          ];
          const [written] = await query<ConnectionRow & { created: boolean }>(upsertSql, params);
          if (!written) throw new Error('upsert returned no row');
          return written.created === !previous ? written : ROLLBACK;
        });
        if (row !== ROLLBACK) return { connection: toConnection(row), created: row.created };
      }
      throw new Error(`upsert of an account kept racing with inserts after ${UPSERT_ATTEMPTS} attempts`);
    },

    async update(id, expectedVersion, patch, events = []) {
      if (!isConnectionId(id)) return null;
      const params: unknown[] = [id, expectedVersion];
      const sets: string[] = [];
      for (const [key, value] of Object.entries(patch)) {
        const spec = patchColumn(key);
        if (spec === undefined || value === undefined) continue;
        params.push(spec.encode(value));
        sets.push(`${spec.column} = $${params.length}`);
      }
      if (events.length > 0) {
        params.push(eventsParam(events));
        sets.push(`pending_events = ${appendEvents('pending_events', `$${params.length}::jsonb`)}`);
      }
      sets.push('updated_at = now()', 'version = version + 1');
      const [row] = await db.query<ConnectionRow>(
        `UPDATE ${connections} SET ${sets.join(', ')} WHERE id = $1 AND version = $2 RETURNING *`,
        params,
      );
      return row ? toConnection(row) : null;
    },

    async list(filter, page = {}) {
      const limit = pageLimit(page.limit);
      const params: unknown[] = [];
      const where: string[] = [];
      const add = (condition: (placeholder: string) => string, value: unknown) => {
        params.push(value);
        where.push(condition(`$${params.length}`));
      };
      if (filter.owner !== undefined) add((p) => `owner = ${p}`, filter.owner);
      if (filter.connector !== undefined) add((p) => `connector = ${p}`, filter.connector);
      if (filter.status !== undefined) add((p) => `status = ${p}`, filter.status);
      if (page.after !== undefined) {
        if (!isConnectionId(page.after)) throw invalidCursor('list');
        add((p) => `id > ${p}`, page.after);
      }
      params.push(limit + 1);
      const rows = await db.query<ConnectionRow>(
        `SELECT ${CONNECTION_COLUMNS} FROM ${connections} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id LIMIT $${params.length}`,
        params,
      );
      const items = rows.slice(0, limit).map(toConnection);
      return { items, next: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
    },

    async findDue(before, page = {}) {
      const limit = pageLimit(page.limit);
      const params: unknown[] = [before, limit + 1];
      if (page.after !== undefined) {
        const cursor = decodeDueCursor(page.after, isConnectionId);
        params.push(cursor.renewAt, cursor.id);
      }
      const rows = await db.query<DueRow>(findDueSql(connections, page.after !== undefined), params);
      const items: DueConnection[] = rows.slice(0, limit).map((row) => ({
        id: row.id,
        owner: row.owner,
        connector: row.connector,
        renewAt: row.renew_at,
        ...(row.last_error_at !== null && { lastErrorAt: new Date(row.last_error_at) }),
      }));
      const last = items.at(-1);
      return { items, next: rows.length > limit && last ? encodeDueCursor(last) : null };
    },

    async countByStatus() {
      const rows = await db.query<{ status: ConnectionStatus; count: number }>(
        `SELECT status, count(*)::int AS count FROM ${connections} GROUP BY status`,
      );
      const counts = Object.fromEntries(CONNECTION_STATUSES.map((status) => [status, 0])) as Record<
        ConnectionStatus,
        number
      >;
      for (const row of rows) counts[row.status] = row.count;
      return counts;
    },
  };
}
