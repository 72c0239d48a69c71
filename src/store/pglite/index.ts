/**
 * The embedded store: PostgreSQL compiled to WebAssembly (PGlite), in this process, with its files in a directory.
 * It runs the PostgreSQL adapter itself, migrations included, through a pool of one connection (pool.ts), so it
 * behaves as the server does, for one process. Stores opened on the same directory within a process share one
 * instance; the directory is locked against other processes (lock.ts).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Store } from '../port.js';
import { dbOver, type SqlPool } from '../postgres/db.js';
import { postgresStore } from '../postgres/index.js';
import { lockDirectory } from './lock.js';
import { pglitePool } from './pool.js';

export interface EmbeddedOptions {
  /** Directory of the database files; created when missing. */
  dir: string;
  /** Schema holding the tables. @default "public" */
  schema?: string;
}

interface Shared {
  pool: SqlPool;
  users: number;
}

const open = new Map<string, Shared>();

function share(dir: string): Shared {
  const path = resolve(dir);
  const existing = open.get(path);
  if (existing) {
    existing.users++;
    return existing;
  }
  mkdirSync(path, { recursive: true });
  const unlock = lockDirectory(`${path}.lock`, dir);
  // WebAssembly of some megabytes: loaded by the processes that open an embedded store only.
  const opened = import('@electric-sql/pglite').then(({ PGlite }) => PGlite.create(path));
  // Reported by the first statement, which awaits it; not an unhandled rejection in the meantime.
  opened.catch(() => {});
  const pool = pglitePool(opened, async () => {
    try {
      await (await opened).close();
    } finally {
      unlock();
    }
  });
  const shared = { pool, users: 1 };
  open.set(path, shared);
  return shared;
}

export function createEmbeddedStore(options: EmbeddedOptions): Store {
  const path = resolve(options.dir);
  const shared = share(options.dir);
  const store = postgresStore(dbOver(shared.pool, options.schema));
  let closed = false;
  return {
    ...store,
    async close() {
      if (closed) return;
      closed = true;
      if (--shared.users > 0) return;
      open.delete(path);
      await shared.pool.end();
    },
  };
}
