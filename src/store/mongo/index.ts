/** The MongoDB adapter of the store port (mongoose). */
import mongoose from 'mongoose';
import type { Store } from '../port.js';
import { mongoConnections } from './connections.js';
import { mongoConnectors } from './connectors.js';
import { databaseName } from './database-name.js';
import { storeUnavailable, toStoreError } from './errors.js';
import { syncIndexes } from './indexes.js';
import { defineModels } from './models.js';
import { mongoOutbox } from './outbox.js';

export interface MongoOptions {
  /** `mongodb://` or `mongodb+srv://` connection string. */
  url: string;
  /**
   * Database to use instead of the one named in the URL's path (DATABASE_SCHEMA, when set); tests use one per run
   * to isolate. Without either, the store refuses to start.
   */
  dbName?: string;
  /**
   * How long an operation waits for a reachable server before failing with `store_unavailable`; a
   * `serverSelectionTimeoutMS` in the URL wins. @default 5000
   */
  serverSelectionTimeoutMs?: number;
}

type AsyncMethods<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : T[K];
};

/** Wraps every method so it waits for the connection and reports outages as `store_unavailable`. */
function guarded<T extends object>(target: T, run: <R>(operation: () => Promise<R>) => Promise<R>): AsyncMethods<T> {
  const entries = Object.entries(target).map(([name, method]) => [
    name,
    (...args: unknown[]) => run(() => (method as (...a: unknown[]) => Promise<unknown>)(...args)),
  ]);
  return Object.fromEntries(entries) as AsyncMethods<T>;
}

export function createMongoStore(options: MongoOptions): Store {
  const dbName = databaseName(options.url, options.dbName);
  const connection = mongoose.createConnection();
  // Without a listener, a connection 'error' event would crash the process; operations report outages themselves.
  connection.on('error', () => {});
  const models = defineModels(connection);

  // Commands are not buffered (a job should fail fast and be retried, not hang), so each operation first makes sure
  // the initial connection is up. A failed first attempt is forgotten so the next operation tries again; once
  // connected, the driver itself reconnects after outages.
  let opening: Promise<unknown> | undefined;
  const connected = () => {
    opening ??= connection
      .openUri(options.url, {
        bufferCommands: false,
        autoIndex: false,
        autoCreate: false,
        // As the PostgreSQL adapter's query timeout: an operation with no answer fails instead of holding its job.
        ...(/[?&]socketTimeoutMS=/i.test(options.url) ? {} : { socketTimeoutMS: 30_000 }),
        ...(/[?&]serverSelectionTimeoutMS=/i.test(options.url)
          ? {}
          : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5000 }),
        dbName,
      })
      .catch((error: unknown) => {
        opening = undefined;
        throw storeUnavailable(error);
      });
    return opening;
  };
  const run = async <R>(operation: () => Promise<R>): Promise<R> => {
    await connected();
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error);
    }
  };

  return {
    connectors: guarded(mongoConnectors(models), run),
    connections: guarded(mongoConnections(models), run),
    outbox: guarded(mongoOutbox(models), run),
    migrate: () =>
      run(async () => {
        // Changed indexes are replaced, not kept (see indexes.ts); concurrent runs are harmless.
        await syncIndexes(models.Connections);
        await syncIndexes(models.Connectors);
      }),
    ping: () =>
      run(async () => {
        await connection.db?.command({ ping: 1 });
      }),
    async close() {
      if (opening) await connection.close();
    },
  };
}
