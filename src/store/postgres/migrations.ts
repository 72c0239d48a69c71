/**
 * The schema of the PostgreSQL adapter as an append-only list of steps. `migrate` runs the steps not yet recorded,
 * in order, in one transaction under an advisory lock, so two processes starting together neither race nor fail.
 * Each step is also idempotent by itself (IF NOT EXISTS), so a step applied by hand does not break a later run.
 *
 * To change the schema, append a step with a new id; never edit or reorder an applied one.
 */
import type { Db } from './db.js';

export interface MigrationStep {
  /** Recorded in `schema_migrations` once applied. */
  id: string;
  /** The statement(s); `table` gives quoted, schema-qualified names. */
  sql: (table: (name: string) => string) => string;
}

export const MIGRATIONS: readonly MigrationStep[] = [
  {
    id: '001_connectors',
    sql: (table) => `CREATE TABLE IF NOT EXISTS ${table('connectors')} (
      key text PRIMARY KEY,
      definition jsonb NOT NULL,
      version integer NOT NULL DEFAULT 1,
      updated_at timestamptz(3) NOT NULL DEFAULT now()
    )`,
  },
  {
    // Timestamps keep milliseconds, the precision of a JS Date, so a findDue cursor names a row exactly.
    id: '002_connections',
    sql: (table) => `CREATE TABLE IF NOT EXISTS ${table('connections')} (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      connector text NOT NULL,
      owner text NOT NULL,
      unique_id text NOT NULL,
      name text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'active', 'error', 'revoking', 'revoked')),
      fields jsonb NOT NULL DEFAULT '{}',
      secrets jsonb NOT NULL DEFAULT '{}',
      access_token text,
      refresh_token text,
      token_type text,
      scopes text[] NOT NULL DEFAULT '{}',
      token_meta jsonb NOT NULL DEFAULT '{}',
      test_values jsonb NOT NULL DEFAULT '{}',
      expires_at timestamptz(3),
      renew_at timestamptz(3),
      last_test jsonb,
      last_error jsonb,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      updated_at timestamptz(3) NOT NULL DEFAULT now(),
      version integer NOT NULL DEFAULT 1,
      CONSTRAINT connections_account_key UNIQUE (connector, owner, unique_id)
    )`,
  },
  {
    // The renewal scan reads only active connections with a renewal time: a partial index keeps its cost
    // proportional to the due connections, whatever the total.
    id: '003_connections_due_index',
    sql: (table) => `CREATE INDEX IF NOT EXISTS connections_due_idx ON ${table('connections')} (renew_at, id)
      WHERE status = 'active' AND renew_at IS NOT NULL`,
  },
  {
    // Listing an owner's connections is the common read of the API.
    id: '004_connections_owner_index',
    sql: (table) => `CREATE INDEX IF NOT EXISTS connections_owner_idx ON ${table('connections')} (owner, id)`,
  },
  {
    // The outbox of connection events (store/port.ts OutboxStore): null when nothing is pending, so the partial index
    // holds only the connections a publisher has to visit.
    id: '005_connections_outbox',
    sql: (table) => `ALTER TABLE ${table('connections')}
        ADD COLUMN IF NOT EXISTS pending_events jsonb,
        ADD COLUMN IF NOT EXISTS events_claimed_until timestamptz(3);
      CREATE INDEX IF NOT EXISTS connections_outbox_idx ON ${table('connections')} (id)
        WHERE pending_events IS NOT NULL`,
  },
  {
    // The fencing token of the current outbox claim: a release names it, so a publisher whose lease lapsed and was
    // taken over cannot release or empty the newer claim.
    id: '006_connections_outbox_claim',
    sql: (table) => `ALTER TABLE ${table('connections')} ADD COLUMN IF NOT EXISTS events_claim uuid`,
  },
];

export async function migrate(db: Db, steps: readonly MigrationStep[] = MIGRATIONS): Promise<void> {
  await db.transaction(async (query) => {
    // Transaction-scoped: released by COMMIT or ROLLBACK, even when this process dies mid-way.
    await query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`oauth-cc-worker:migrate:${db.schema}`]);
    await query(`CREATE SCHEMA IF NOT EXISTS ${db.quotedSchema}`);
    await query(
      `CREATE TABLE IF NOT EXISTS ${db.table('schema_migrations')} (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const rows = (await query(`SELECT id FROM ${db.table('schema_migrations')}`)) as Array<{ id: string }>;
    const applied = new Set(rows.map((row) => row.id));
    for (const step of steps) {
      if (applied.has(step.id)) continue;
      await query(step.sql(db.table));
      await query(`INSERT INTO ${db.table('schema_migrations')} (id) VALUES ($1)`, [step.id]);
    }
  });
}
