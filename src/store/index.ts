/**
 * Picks the store adapter from the database URL. Both adapters implement the same port and pass the same contract
 * tests (test/store/contract.test.ts). Only the chosen adapter is loaded: a PostgreSQL deployment never loads
 * mongoose and the MongoDB driver, nor a MongoDB one pg.
 */
import { AppError } from '../errors.js';
import type { Store } from './port.js';

export type { MongoOptions } from './mongo/index.js';
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
  throw new AppError('invalid_input', 'invalid_config', 'DATABASE_URL: must start with postgres:// or mongodb://');
}
