/** PostgreSQL-only behaviour: the renewal scan's index, outage handling, and the migration step list. */
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/port.js';
import { findDueSql } from '../../src/store/postgres/connections.js';
import { dbOver, openDb, type SqlPool } from '../../src/store/postgres/db.js';
import { createPostgresStore, postgresStore } from '../../src/store/postgres/index.js';
import { MIGRATIONS, migrate } from '../../src/store/postgres/migrations.js';
import { connectionInput, POSTGRES_URL, throwawaySchema } from './fixtures.js';

const schema = throwawaySchema('store_pg');
const table = (name: string) => `${pg.escapeIdentifier(schema.name)}.${pg.escapeIdentifier(name)}`;
let store: Store;
let admin: pg.Client;

beforeAll(async () => {
  store = createPostgresStore({ url: POSTGRES_URL, schema: schema.name });
  await store.migrate();
  admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
});

afterAll(async () => {
  await store?.close();
  await admin?.end();
  await schema.drop();
});

/** Names of the indexes a plan reads, from EXPLAIN (FORMAT JSON). */
function indexesIn(plan: unknown): string[] {
  if (Array.isArray(plan)) return plan.flatMap(indexesIn);
  if (plan === null || typeof plan !== 'object') return [];
  const node = plan as Record<string, unknown>;
  const own = typeof node['Index Name'] === 'string' ? [node['Index Name']] : [];
  return [...own, ...Object.values(node).flatMap(indexesIn)];
}

describe('findDue on PostgreSQL', () => {
  it('when most of 20 000 connections are not due, the planner reads the partial index connections_due_idx', async () => {
    // 20 000 rows: 5% active and due, 45% active and due later, 50% in other statuses (outside the partial index).
    await admin.query(`
      INSERT INTO ${table('connections')} (connector, owner, unique_id, name, status, renew_at)
      SELECT 'bulk', 'owner-' || (n % 100), 'u' || n, 'bulk ' || n,
             CASE WHEN n % 2 = 0 THEN 'active' ELSE (ARRAY['pending', 'error', 'revoked'])[n % 3 + 1] END,
             CASE WHEN n % 40 = 0 THEN now() - interval '1 minute' * (n % 60) ELSE now() + interval '1 hour' * (n % 48 + 1) END
      FROM generate_series(1, 20000) AS n`);
    await admin.query(`ANALYZE ${table('connections')}`);

    const explain = async (withCursor: boolean, params: unknown[]) => {
      const { rows } = await admin.query(
        `EXPLAIN (FORMAT JSON) ${findDueSql(table('connections'), withCursor)}`,
        params,
      );
      return indexesIn(rows[0]['QUERY PLAN']);
    };
    const now = new Date();
    expect(await explain(false, [now, 101])).toContain('connections_due_idx');
    expect(await explain(true, [now, 101, new Date(0), '00000000-0000-4000-8000-000000000000'])).toContain(
      'connections_due_idx',
    );

    // And the store's answer matches the due rows: every active one renewed in the past.
    const { rows } = await admin.query(
      `SELECT count(*)::int AS due FROM ${table('connections')} WHERE status = 'active' AND renew_at <= $1`,
      [now],
    );
    let seen = 0;
    let after: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await store.connections.findDue(now, { limit: 100, ...(after ? { after } : {}) });
      seen += page.items.length;
      after = page.next ?? undefined;
      if (!after) break;
    }
    expect(seen).toBe(rows[0].due);
    expect(seen).toBeGreaterThan(0);
  });
});

describe('reads', () => {
  it('when 100 connections are read in one turn, the database runs one statement for them all', async () => {
    const ids = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const { connection } = await store.connections.upsert(connectionInput({ uniqueId: `turn-${i}` }));
        return connection.id;
      }),
    );
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 10 });
    const statements: string[] = [];
    const counting: SqlPool = {
      query: (sql, params) => {
        statements.push(sql);
        return pool.query(sql, params);
      },
      connect: () => pool.connect(),
      end: () => pool.end(),
    };
    const reader = postgresStore(dbOver(counting, schema.name));
    try {
      const read = await Promise.all(ids.map((id) => reader.connections.get(id)));
      expect(read.map((connection) => connection?.id)).toEqual(ids);
      expect(statements).toHaveLength(1);
    } finally {
      await reader.close();
    }
  });
});

describe('outages', () => {
  it('when the connection drops in the middle of a transaction, it fails as store_unavailable and the process lives on', async () => {
    const db = openDb({ url: POSTGRES_URL });
    try {
      const attempt = db.transaction(async (query) => {
        const [row] = (await query('SELECT pg_backend_pid() AS pid')) as Array<{ pid: number }>;
        await admin.query('SELECT pg_terminate_backend($1)', [row?.pid]);
        // Give the dropped socket time to reach the client: its 'error' event must not go unhandled.
        await new Promise((resolve) => setTimeout(resolve, 200));
        return query('SELECT 1');
      });
      await expect(attempt).rejects.toMatchObject({ kind: 'transient', code: 'store_unavailable' });
      expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await db.pool.end();
    }
  });

  it('when a query gets no answer in time, it fails as store_unavailable instead of holding the job', async () => {
    const db = openDb({ url: POSTGRES_URL, queryTimeoutMs: 200 });
    try {
      await expect(db.query('SELECT pg_sleep(3)')).rejects.toMatchObject({
        kind: 'transient',
        code: 'store_unavailable',
      });
      // The pool recovers: the next query is answered.
      expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await db.pool.end();
    }
  });

  it('when the database is unreachable, operations fail with a transient store_unavailable', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const down = createPostgresStore({
      url: `postgres://postgres@127.0.0.1:${closedPort}/postgres`,
      schema: schema.name,
    });
    try {
      await expect(down.ping()).rejects.toMatchObject({
        name: 'AppError',
        kind: 'transient',
        code: 'store_unavailable',
      });
      await expect(down.connections.get('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
        kind: 'transient',
      });
      await expect(down.migrate()).rejects.toMatchObject({ kind: 'transient', code: 'store_unavailable' });
    } finally {
      await down.close();
    }
  });

  it('when the server drops the pooled connections, the process survives and the next operations succeed', async () => {
    const applicationName = `store_pg_${schema.name}`;
    const pooled = createPostgresStore({
      url: `${POSTGRES_URL}?application_name=${applicationName}`,
      schema: schema.name,
      poolSize: 3,
    });
    try {
      // Fill the pool with idle clients.
      await Promise.all([pooled.ping(), pooled.ping(), pooled.ping()]);
      const { rows } = await admin.query(
        'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      expect(rows.length).toBeGreaterThan(0);
      // Idle clients emit 'error' when the server hangs up; give that time to happen (unhandled, it would crash).
      await new Promise((resolve) => setTimeout(resolve, 200));
      const { connection } = await pooled.connections.upsert(connectionInput());
      expect(await pooled.connections.get(connection.id)).toEqual(connection);
    } finally {
      await pooled.close();
    }
  });
});

describe('migrations', () => {
  it('records each step once, and a step appended later runs on the next migrate only', async () => {
    const db = openDb({ url: POSTGRES_URL, schema: schema.name });
    try {
      const added = {
        id: '900_test_extra_table',
        sql: (name: (relation: string) => string) => `CREATE TABLE ${name('extra')} (id int PRIMARY KEY)`,
      };
      // Not IF NOT EXISTS on purpose: a second run of this step would fail.
      await migrate(db, [...MIGRATIONS, added]);
      await migrate(db, [...MIGRATIONS, added]);
      const applied = await db.query<{ id: string }>(`SELECT id FROM ${table('schema_migrations')} ORDER BY id`);
      expect(applied.map((row) => row.id)).toEqual([...MIGRATIONS.map((step) => step.id), added.id]);
      expect(await db.query(`SELECT * FROM ${table('extra')}`)).toEqual([]);
    } finally {
      await db.pool.end();
    }
  });

  it('when a step fails, nothing of that run is applied', async () => {
    const db = openDb({ url: POSTGRES_URL, schema: schema.name });
    try {
      const steps = [
        ...MIGRATIONS,
        { id: '910_good', sql: (name: (relation: string) => string) => `CREATE TABLE ${name('good')} (id int)` },
        { id: '911_bad', sql: () => 'SELECT * FROM no_such_table_anywhere' },
      ];
      await expect(migrate(db, steps)).rejects.toMatchObject({ code: '42P01' });
      const applied = await db.query<{ id: string }>(
        `SELECT id FROM ${table('schema_migrations')} WHERE id LIKE '91%'`,
      );
      expect(applied).toEqual([]);
      expect(await db.query('SELECT to_regclass($1) AS found', [`${schema.name}.good`])).toEqual([{ found: null }]);
    } finally {
      await db.pool.end();
    }
  });

  it('when the schema name is not a plain identifier, it fails with invalid_config', () => {
    expect(() => createPostgresStore({ url: POSTGRES_URL, schema: 'bad"; DROP' })).toThrow(
      expect.objectContaining({ kind: 'invalid_input', code: 'invalid_config' }),
    );
  });
});
