/**
 * Index upkeep at migrate(): the indexes the schemas declare (models.ts) are the truth for their names and key
 * patterns. `createIndexes` alone never changes an existing index: one whose options changed (a partial filter, a
 * unique flag) makes it fail, and one of the same keys under an old name is kept as it is. So an index of ours whose
 * definition differs is dropped first, then every declared index is created.
 *
 * Why not mongoose's `syncIndexes`: it also drops every index the schema does not declare, including those an
 * operator added for their own queries; here an index is ours only by name or by key pattern, and others are kept.
 * Changing a unique index leaves a short window between its drop and its creation; schema changes are rare and
 * made at a deploy.
 */
import { canonicalJson } from './canonical-json.js';

export interface IndexSpec {
  name: string;
  key: Record<string, unknown>;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: object;
  expireAfterSeconds?: number;
}

/** What makes two indexes the same index: keys in order with their directions, and the options that change it. */
function definition(index: IndexSpec): string {
  return canonicalJson({
    key: Object.entries(index.key),
    unique: index.unique === true,
    sparse: index.sparse === true,
    partialFilterExpression: index.partialFilterExpression ?? null,
    expireAfterSeconds: index.expireAfterSeconds ?? null,
  });
}

const sameKey = (a: IndexSpec, b: IndexSpec) =>
  canonicalJson(Object.entries(a.key)) === canonicalJson(Object.entries(b.key));

/** Existing indexes to drop: those with a declared index's name or key pattern but not its definition. */
export function indexesToDrop(existing: readonly IndexSpec[], declared: readonly IndexSpec[]): string[] {
  return existing
    .filter((index) => index.name !== '_id_')
    .filter((index) => {
      const ours = declared.find((wanted) => wanted.name === index.name || sameKey(wanted, index));
      return ours !== undefined && (ours.name !== index.name || definition(ours) !== definition(index));
    })
    .map((index) => index.name);
}

/** What index upkeep needs of a model: its schema's declarations and its collection. */
interface IndexedModel {
  schema: { indexes(): Array<[object, object]> };
  collection: { listIndexes(): { toArray(): Promise<unknown[]> }; dropIndex(name: string): Promise<unknown> };
  createIndexes(): Promise<unknown>;
}

/** The indexes a model's schema declares, named as they are created. */
export function declaredIndexes(model: Pick<IndexedModel, 'schema'>): IndexSpec[] {
  return model.schema.indexes().map(([key, options]) => ({ ...(options as IndexSpec), key: key as IndexSpec['key'] }));
}

const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;
const codeOf = (error: unknown) => (error as { code?: unknown } | null)?.code;

/**
 * Brings a collection's indexes to the declared ones. Runs from several processes at once are harmless while no
 * index changes (every step is then a no-op); during the first run after a change, a process whose index build
 * another one's drop aborted fails its migrate, and succeeds when run again.
 */
export async function syncIndexes(model: IndexedModel): Promise<void> {
  const existing = await model.collection
    .listIndexes()
    .toArray()
    .catch((error: unknown) => {
      // A collection not created yet has no indexes.
      if (codeOf(error) === NAMESPACE_NOT_FOUND) return [];
      throw error;
    });
  for (const name of indexesToDrop(existing as IndexSpec[], declaredIndexes(model))) {
    await model.collection.dropIndex(name).catch((error: unknown) => {
      // Another process dropped it first.
      if (codeOf(error) !== INDEX_NOT_FOUND) throw error;
    });
  }
  await model.createIndexes();
}
