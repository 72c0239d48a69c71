/**
 * ConnectorStore on MongoDB. `apply` (its command in connector-commands.ts) updates only a document whose canonical
 * JSON differs; when the filter matches nothing because the same definition is stored, the upsert's insert hits the
 * unique key and reads as `unchanged`.
 */
import type { ConnectorStore, StoredConnector } from '../port.js';
import { applyCommand } from './connector-commands.js';
import { isDuplicateKey } from './errors.js';
import { type ConnectorDoc, checkInsert, type Models } from './models.js';

/** A concurrent first insert of a different definition can win once; then our update applies. */
const APPLY_ATTEMPTS = 3;

const toStored = (doc: ConnectorDoc): StoredConnector => ({
  definition: JSON.parse(doc.definition),
  version: doc.version,
  updatedAt: doc.updatedAt,
});

export function mongoConnectors({ Connectors }: Models): ConnectorStore {
  return {
    async apply(definition) {
      const { canonical } = applyCommand(definition);
      // What an insert would store, but for the server's updatedAt: PostgreSQL's NOT NULL key and definition.
      await checkInsert(Connectors, { key: definition.key, definition: canonical, version: 1 }, ['updatedAt']);
      for (let attempt = 1; ; attempt++) {
        try {
          // A fresh command each attempt: mongoose casts the documents it is given in place.
          const { filter, update } = applyCommand(definition);
          const result = await Connectors.findOneAndUpdate(filter, update, {
            upsert: true,
            setDefaultsOnInsert: false,
            returnDocument: 'after',
            includeResultMetadata: true,
            lean: true,
          });
          const doc = result.value as ConnectorDoc | null;
          if (!doc) throw new Error('apply returned no document');
          return {
            outcome: result.lastErrorObject?.updatedExisting === true ? 'updated' : 'created',
            version: doc.version,
          };
        } catch (error) {
          if (!isDuplicateKey(error) || attempt >= APPLY_ATTEMPTS) throw error;
          const current = await Connectors.findOne({ key: definition.key }).lean<ConnectorDoc>();
          if (current?.definition === canonical) return { outcome: 'unchanged', version: current.version };
        }
      }
    },

    async get(key) {
      const doc = await Connectors.findOne({ key }).lean<ConnectorDoc>();
      return doc ? toStored(doc) : null;
    },

    async list() {
      const docs = await Connectors.find().sort({ key: 1 }).lean<ConnectorDoc[]>();
      return docs.map(toStored);
    },
  };
}
