/**
 * ConnectorStore on PostgreSQL. `apply` is one statement: jsonb equality compares definitions structurally (key
 * order and number spelling do not matter, like canonical JSON), so an identical definition leaves the row and its
 * version untouched.
 */
import type { ConnectorDefinition } from '../../definitions/schema.js';
import type { ConnectorStore, StoredConnector } from '../port.js';
import type { Db } from './db.js';

interface ConnectorRow {
  definition: ConnectorDefinition;
  version: number;
  updated_at: Date;
}

const toStored = (row: ConnectorRow): StoredConnector => ({
  definition: row.definition,
  version: row.version,
  updatedAt: row.updated_at,
});

export function postgresConnectors(db: Db): ConnectorStore {
  const connectors = db.table('connectors');
  return {
    async apply(definition) {
      const [written] = await db.query<{ version: number; created: boolean }>(
        `INSERT INTO ${connectors} (key, definition) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET definition = EXCLUDED.definition, version = ${connectors}.version + 1, updated_at = now()
           WHERE ${connectors}.definition IS DISTINCT FROM EXCLUDED.definition
         RETURNING version, (xmax = 0) AS created`,
        [definition.key, JSON.stringify(definition)],
      );
      if (written) return { outcome: written.created ? 'created' : 'updated', version: written.version };
      // No row written: the stored definition is the same one.
      const [current] = await db.query<{ version: number }>(`SELECT version FROM ${connectors} WHERE key = $1`, [
        definition.key,
      ]);
      return { outcome: 'unchanged', version: current?.version ?? 1 };
    },

    async get(key) {
      const [row] = await db.query<ConnectorRow>(
        `SELECT definition, version, updated_at FROM ${connectors} WHERE key = $1`,
        [key],
      );
      return row ? toStored(row) : null;
    },

    async list() {
      const rows = await db.query<ConnectorRow>(
        `SELECT definition, version, updated_at FROM ${connectors} ORDER BY key`,
      );
      return rows.map(toStored);
    },
  };
}
