/**
 * The pool and the one query path of the PostgreSQL adapter: every statement goes through `query`, so connection
 * failures are mapped to `store_unavailable` in one place and table names are always schema-qualified. The pool is
 * node-postgres' (`openDb`) or anything with the same surface (`dbOver`): the embedded store gives its own.
 */
import pg from 'pg';
import { AppError } from '../../errors.js';
import { toStoreError } from './errors.js';
import { storeTypes } from './timestamps.js';

export interface PostgresOptions {
  /** `postgres://` or `postgresql://` connection string. */
  url: string;
  /** Schema holding the tables; created by `migrate()`. Tests use one per run to isolate. @default "public" */
  schema?: string;
  /** Most connections the pool opens. @default 10 */
  poolSize?: number;
  /** How long to wait for a connection before failing with `store_unavailable`. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * How long one query may wait for its answer before failing with `store_unavailable`. A socket left half-open by a
   * database that went away would otherwise hold the job (and its lock) forever. @default 30000
   */
  queryTimeoutMs?: number;
}

/** The part of a node-postgres pooled client the adapter uses. */
export interface SqlClient {
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
  /** Gives the client back; with an error, the client is broken and must not be used again. */
  release(error?: Error): void;
}

/** The part of a node-postgres pool the adapter uses: without parameters a statement may hold several commands. */
export interface SqlPool {
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  connect(): Promise<SqlClient>;
  end(): Promise<void>;
}

export interface Db {
  readonly pool: SqlPool;
  readonly schema: string;
  /** The schema name, quoted for SQL. */
  readonly quotedSchema: string;
  /** Quoted, schema-qualified name of a table (or other relation) of the store. */
  table(name: string): string;
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /**
   * Runs `work` in a transaction on one pooled client: committed when it resolves, rolled back when it throws or
   * returns `ROLLBACK` (the caller then decides what to do).
   */
  transaction<T>(work: (query: Query) => Promise<T | typeof ROLLBACK>): Promise<T | typeof ROLLBACK>;
}

export type Query = <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<R[]>;

/** Returned by a transaction's work to roll it back without an error. */
export const ROLLBACK = Symbol('rollback');

// Unquoted-identifier rules, so the name reads the same in psql as in the options.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function openDb(options: PostgresOptions): Db {
  const schema = checkedSchema(options.schema);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    query_timeout: options.queryTimeoutMs ?? 30_000,
    keepAlive: true,
    types: storeTypes,
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, it would crash the process. The pool
  // already discards that client, and the next query reports the outage as store_unavailable.
  pool.on('error', () => {});
  return dbOver(pool, schema);
}

function checkedSchema(schema = 'public'): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new AppError(
      'invalid_input',
      'invalid_config',
      `schema: "${schema}" is not a valid schema name; use lower case letters, digits and _ (at most 63)`,
    );
  }
  return schema;
}

/** The adapter's query path over `pool`, on the tables of `schema` (@default "public"). */
export function dbOver(pool: SqlPool, schema?: string): Db {
  schema = checkedSchema(schema);
  const quotedSchema = pg.escapeIdentifier(schema);
  return {
    pool,
    schema,
    quotedSchema,
    table: (name) => `${quotedSchema}.${pg.escapeIdentifier(name)}`,
    async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      try {
        return (await pool.query<R>(sql, params)).rows;
      } catch (error) {
        throw toStoreError(error);
      }
    },
    async transaction(work) {
      let client: SqlClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw toStoreError(error);
      }
      let broken: Error | undefined;
      // A checked-out client has no pool listener: a connection dropped mid-transaction (a database restart) would
      // emit an unhandled 'error' and end the process. The failing query rejects as well; note the client as broken.
      const onError = (error: Error) => {
        broken = error;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await work(
          async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
            (await client.query<R>(sql, params)).rows,
        );
        await client.query(result === ROLLBACK ? 'ROLLBACK' : 'COMMIT');
        return result;
      } catch (error) {
        broken ??= error instanceof Error ? error : undefined;
        await client.query('ROLLBACK').catch(() => {});
        throw toStoreError(error);
      } finally {
        client.off('error', onError);
        // A client whose connection failed must not go back to the pool.
        client.release(broken);
      }
    },
  };
}
