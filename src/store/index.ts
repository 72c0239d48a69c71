/**
 * Picks the store adapter from the database URL. Both adapters implement the same port and pass the same contract
 * tests (test/store/contract.test.ts).
 */
import { AppError } from '../errors.js';
import { createMongoStore } from './mongo/index.js';
import type { Store } from './port.js';
import { createPostgresStore } from './postgres/index.js';

export type { MongoOptions } from './mongo/index.js';
export type { PostgresOptions } from './postgres/index.js';
export { createMongoStore, createPostgresStore };

export interface StoreOptions {
  /** PostgreSQL: schema holding the tables (@default "public"). MongoDB: database name, overriding the URL's. */
  schema?: string;
  /** PostgreSQL: most pooled connections. @default 10 */
  poolSize?: number;
}

export function createStore(databaseUrl: string, options: StoreOptions = {}): Store {
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return createPostgresStore({ url: databaseUrl, ...options });
  if (/^mongodb(\+srv)?:\/\//.test(databaseUrl)) {
    return createMongoStore({ url: databaseUrl, ...(options.schema === undefined ? {} : { dbName: options.schema }) });
  }
  throw new AppError('invalid_input', 'invalid_config', 'DATABASE_URL: must start with postgres:// or mongodb://');
}
