/**
 * Counts the store operations of a process, by operation (`connections.get`, `outbox.claim`, …), so that the call
 * benchmark can report store reads and writes per job. The methods are wrapped in place: the cache and the other
 * services hold the same store objects the runtime does, so they are counted too.
 */
import type { Store } from '../src/store/port.js';

export type StoreCounts = Record<string, number>;

/** Whether an operation only reads; the others write (an outbox claim writes its lease). */
export const isStoreRead = (operation: string) => /\.(?:get|list|findDue|countByStatus)$/.test(operation);

export function countStoreOperations(store: Store): () => StoreCounts {
  const counts: StoreCounts = {};
  for (const part of ['connectors', 'connections', 'outbox'] as const) {
    const target = store[part] as unknown as Record<string, unknown>;
    for (const [name, method] of Object.entries(methodsOf(target))) {
      const operation = `${part}.${name}`;
      target[name] = (...args: unknown[]) => {
        counts[operation] = (counts[operation] ?? 0) + 1;
        return method.apply(target, args);
      };
    }
  }
  return () => ({ ...counts });
}

/** The functions of an object, own or inherited (adapters are classes), as the object itself defines them. */
function methodsOf(target: Record<string, unknown>): Record<string, (...args: unknown[]) => unknown> {
  const methods: Record<string, (...args: unknown[]) => unknown> = {};
  for (let at: object | null = target; at && at !== Object.prototype; at = Object.getPrototypeOf(at))
    for (const name of Object.getOwnPropertyNames(at)) {
      // The descriptor, not `target[name]`: with tracing on, the runtime's store is a proxy whose `get` calls the
      // adapter's own method, and wrapping the proxy's answer would make that method call itself.
      const value = Object.getOwnPropertyDescriptor(at, name)?.value;
      if (name !== 'constructor' && typeof value === 'function' && !(name in methods))
        methods[name] = value as (...args: unknown[]) => unknown;
    }
  return methods;
}
