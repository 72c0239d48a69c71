/**
 * Picks the store adapter from the database URL. Both adapters implement the same port and pass the same contract
 * tests (test/store/contract.test.ts); `pglite://<dir>` is the PostgreSQL adapter on an embedded database. Only the
 * chosen adapter is loaded: a PostgreSQL deployment never loads mongoose and the MongoDB driver, nor PGlite, nor a
 * MongoDB one pg.
 */
import { AppError } from '../errors.js';
import type { Store } from './port.js';

export type { MongoOptions } from './mongo/index.js';
export type { EmbeddedOptions } from './pglite/index.js';
export type { PostgresOptions } from './postgres/index.js';

export interface StoreOptions {
  /** PostgreSQL: schema holding the tables (@default "public"). MongoDB: database name, overriding the URL's. */
  schema?: string;
  /** PostgreSQL: most pooled connections. @default 10 */
  poolSize?: number;
}

export async function createStore(databaseUrl: string, options: StoreOptions = {}): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const { createPostgresStore } = await import('./postgres/index.js');
    return createPostgresStore({ url: databaseUrl, ...options });
  }
  if (/^mongodb(\+srv)?:\/\//.test(databaseUrl)) {
    const { createMongoStore } = await import('./mongo/index.js');
    return createMongoStore({ url: databaseUrl, ...(options.schema === undefined ? {} : { dbName: options.schema }) });
  }
  const dir = embeddedDir(databaseUrl);
  if (dir !== undefined) {
    const { createEmbeddedStore } = await import('./pglite/index.js');
    return createEmbeddedStore({ dir, ...(options.schema === undefined ? {} : { schema: options.schema }) });
  }
  throw new AppError(
    'invalid_input',
    'invalid_config',
    'DATABASE_URL: must start with postgres://, mongodb:// or pglite:// (the embedded store)',
  );
}

/** The directory of a `pglite://<dir>` URL (taken as written: `pglite://.data/pglite`, `pglite:///var/lib/x`). */
export function embeddedDir(databaseUrl: string): string | undefined {
  const match = /^pglite:\/\/(.+)$/.exec(databaseUrl);
  return match?.[1];
}

/** Which store a URL selects and where, without credentials: for start banners and error lines. */
export function describeStore(databaseUrl: string): string {
  const dir = embeddedDir(databaseUrl);
  if (dir !== undefined) return `embedded PostgreSQL (PGlite) in ${dir}`;
  const kind = databaseUrl.startsWith('mongodb') ? 'MongoDB' : 'PostgreSQL';
  if (!URL.canParse(databaseUrl)) return kind;
  const { host, pathname } = new URL(databaseUrl);
  return `${kind} at ${host}${pathname.length > 1 ? pathname : ''}`;
}
