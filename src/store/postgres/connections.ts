/**
 * ConnectionStore on PostgreSQL. Concurrency rests on the database: the upsert is one `INSERT … ON CONFLICT`
 * statement on the account's unique key, and `update` is a compare-and-set on `version`.
 */

import { decodeDueCursor, encodeDueCursor, invalidCursor, pageLimit } from '../paging.js';
import { CONNECTION_STATUSES, type ConnectionStatus, type ConnectionStore, type DueConnection } from '../port.js';
import type { Db } from './db.js';
import { type ConnectionRow, isConnectionId, PATCH_COLUMNS, patchColumn, toConnection } from './rows.js';

const UPSERT_KEYS = Object.keys(PATCH_COLUMNS) as (keyof typeof PATCH_COLUMNS)[];
// uniqueId is part of the conflict key, so an upsert never changes it.
const UPDATED_ON_CONFLICT = UPSERT_KEYS.filter((key) => key !== 'uniqueId').map((key) => PATCH_COLUMNS[key].column);

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

  const upsertSql = `INSERT INTO ${connections} (connector, owner, ${UPSERT_KEYS.map((key) => PATCH_COLUMNS[key].column).join(', ')})
    VALUES (${[...UPSERT_KEYS, 'connector', 'owner'].map((_, index) => `$${index + 1}`).join(', ')})
    ON CONFLICT (connector, owner, unique_id) DO UPDATE SET
      ${UPDATED_ON_CONFLICT.map((column) => `${column} = EXCLUDED.${column}`).join(', ')},
      updated_at = now(), version = ${connections}.version + 1
    RETURNING *, (xmax = 0) AS created`;

  return {
    async get(id) {
      if (!isConnectionId(id)) return null;
      const [row] = await db.query<ConnectionRow>(`SELECT * FROM ${connections} WHERE id = $1`, [id]);
      return row ? toConnection(row) : null;
    },

    async upsert(input) {
      const params = [input.connector, input.owner, ...UPSERT_KEYS.map((key) => PATCH_COLUMNS[key].encode(input[key]))];
      const [row] = await db.query<ConnectionRow & { created: boolean }>(upsertSql, params);
      if (!row) throw new Error('upsert returned no row');
      return { connection: toConnection(row), created: row.created };
    },

    async update(id, expectedVersion, patch) {
      if (!isConnectionId(id)) return null;
      const params: unknown[] = [id, expectedVersion];
      const sets: string[] = [];
      for (const [key, value] of Object.entries(patch)) {
        const spec = patchColumn(key);
        if (spec === undefined || value === undefined) continue;
        params.push(spec.encode(value));
        sets.push(`${spec.column} = $${params.length}`);
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
        `SELECT * FROM ${connections} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
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
