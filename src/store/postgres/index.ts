/** The PostgreSQL adapter of the store port. */
import type { Store } from '../port.js';
import { postgresConnections } from './connections.js';
import { postgresConnectors } from './connectors.js';
import { openDb, type PostgresOptions } from './db.js';
import { migrate } from './migrations.js';
import { postgresOutbox } from './outbox.js';

export type { PostgresOptions } from './db.js';

export function createPostgresStore(options: PostgresOptions): Store {
  const db = openDb(options);
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
