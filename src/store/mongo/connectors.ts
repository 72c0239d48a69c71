/**
 * ConnectorStore on MongoDB. `apply` updates only a document whose canonical JSON differs; when the filter matches
 * nothing because the same definition is stored, the upsert's insert hits the unique key and reads as `unchanged`.
 */
import type { ConnectorStore, StoredConnector } from '../port.js';
import { canonicalJson } from './canonical-json.js';
import { isDuplicateKey } from './errors.js';
import type { ConnectorDoc, Models } from './models.js';

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
      const canonical = canonicalJson(definition);
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await Connectors.findOneAndUpdate(
            { key: definition.key, definition: { $ne: canonical } },
            { $set: { definition: canonical, updatedAt: new Date() }, $inc: { version: 1 } },
            {
              upsert: true,
              setDefaultsOnInsert: false,
              returnDocument: 'after',
              includeResultMetadata: true,
              lean: true,
            },
          );
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
