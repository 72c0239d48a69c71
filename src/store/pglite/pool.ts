/**
 * The pool surface of the PostgreSQL adapter (postgres/db.ts `SqlPool`) over one PGlite instance. PGlite is a single
 * backend: a `BEGIN` sent by one caller would take in every statement sent by another until its `COMMIT`. So this
 * pool has one connection, handed to one caller at a time; everyone else waits for it, and a transaction, which holds
 * the connection from `BEGIN` to `COMMIT`, is thereby serialised with every other statement.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlPool } from '../postgres/db.js';

/** Hands out one turn at a time, in the order asked. */
class Turns {
  private last: Promise<void> = Promise.resolve();

  /** Resolves with the function that ends the turn once every earlier turn has ended. */
  take(): Promise<() => void> {
    let end!: () => void;
    const ended = new Promise<void>((resolve) => {
      end = resolve;
    });
    const turn = this.last.then(() => end);
    this.last = ended;
    return turn;
  }
}

/**
 * Runs `sql` as node-postgres would: with parameters, one statement (extended protocol); without, the simple
 * protocol, which allows several statements (a migration step) and answers with the last one's rows.
 */
async function run<R>(opened: Promise<PGlite>, sql: string, params: unknown[] = []): Promise<{ rows: R[] }> {
  const lite = await opened;
  if (params.length > 0) return { rows: (await lite.query<R>(sql, params)).rows };
  const results = await lite.exec(sql);
  return { rows: (results.at(-1)?.rows ?? []) as R[] };
}

/** A pool over the PGlite instance `opened` resolves with; `close` runs once, after the last statement. */
export function pglitePool(opened: Promise<PGlite>, close: () => Promise<void>): SqlPool {
  const turns = new Turns();
  let ended = false;

  const connect = async (): Promise<SqlClient> => {
    if (ended) throw new Error('the embedded store is closed');
    const end = await turns.take();
    let released = false;
    return {
      query: (sql, params) => {
        if (released) return Promise.reject(new Error('the client was released'));
        return run(opened, sql, params);
      },
      // A PGlite backend lives in this process: it cannot drop a connection the way a server can.
      on: () => undefined,
      off: () => undefined,
      release() {
        if (released) return;
        released = true;
        end();
      },
    };
  };

  return {
    connect,
    async query(sql, params) {
      const client = await connect();
      try {
        return await client.query(sql, params);
      } finally {
        client.release();
      }
    },
    async end() {
      if (ended) return;
      ended = true;
      // Waits for the statements in flight, so the files are closed in a consistent state.
      const last = await turns.take();
      try {
        await close();
      } finally {
        last();
      }
    },
  };
}
