/**
 * The update document of ConnectorStore.apply on MongoDB, as a pure function (tested without a server): only a
 * document whose canonical JSON differs is updated, its version incremented and `updatedAt` stamped by the server's
 * clock, as `now()` does in PostgreSQL. Sent as an upsert, it inserts a new key at version 1.
 */
import type { ConnectorDefinition } from '../../definitions/schema.js';
import { canonicalJson } from './canonical-json.js';
import type { WriteCommand } from './connection-commands.js';

export function applyCommand(definition: ConnectorDefinition): WriteCommand & { canonical: string } {
  const canonical = canonicalJson(definition);
  return {
    canonical,
    filter: { key: definition.key, definition: { $ne: canonical } },
    update: { $set: { definition: canonical }, $currentDate: { updatedAt: true }, $inc: { version: 1 } },
  };
}
