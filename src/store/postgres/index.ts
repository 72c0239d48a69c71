/** The PostgreSQL adapter of the store port. */
import type { Store } from '../port.js';
import { postgresConnections } from './connections.js';
import { postgresConnectors } from './connectors.js';
import { type Db, openDb, type PostgresOptions } from './db.js';
import { migrate } from './migrations.js';
import { postgresOutbox } from './outbox.js';

export type { PostgresOptions } from './db.js';

export function createPostgresStore(options: PostgresOptions): Store {
  return postgresStore(openDb(options));
}

/** The adapter on a query path of its own making: the embedded store runs the very same statements. */
export function postgresStore(db: Db): Store {
  return {
    connectors: postgresConnectors(db),
    connections: postgresConnections(db),
    outbox: postgresOutbox(db),
    migrate: () => migrate(db),
    async ping() {
      await db.query('SELECT 1');
    },
    close: () => db.pool.end(),
  };
}
