/**
 * Spans around the domain's ports, added from outside: the runtime hands the domain a store, cache and lock wrapped
 * here, so the domain itself holds no tracing code for them. Without tracing each function returns its argument
 * unchanged: nothing is wrapped, nothing costs.
 *
 * - `connection.load`: a connection taken from the cache, with `oauth_cc.cache.hit` (false when the store was read).
 * - `store.get`: one read of a connection or connector from the store (database client span).
 * - `renewal.wait`: the single-flight wait, while another process renews the token.
 */
import { context, createContextKey, SpanKind } from '@opentelemetry/api';
import type { SingleFlightLock } from '../domain/ports.js';
import type { Store } from '../store/port.js';
import { ATTR } from './attributes.js';
import { annotateJob, inSpan, tracingOn } from './tracing.js';

/** Set by a traced cache load: the store read inside it marks it a miss. */
const CACHE_LOAD = createContextKey('oauth-cc cache load');
interface LoadRecord {
  storeRead: boolean;
}

/** An object whose `overrides` replace its own methods of those names; every other property is the original's. */
function withMethods<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get: (object, property, receiver) =>
      Object.hasOwn(overrides, property) ? overrides[property as keyof T] : Reflect.get(object, property, receiver),
  });
}

const dbSystem = (databaseUrl: string) => (databaseUrl.startsWith('mongodb') ? 'mongodb' : 'postgresql');

export function instrumentStore(store: Store, databaseUrl: string): Store {
  if (!tracingOn()) return store;
  const system = dbSystem(databaseUrl);
  const read = <T>(collection: string, run: () => Promise<T>) => {
    const record = context.active().getValue(CACHE_LOAD) as LoadRecord | undefined;
    if (record) record.storeRead = true;
    const attributes = { [ATTR.dbSystem]: system, [ATTR.dbCollection]: collection, [ATTR.dbOperation]: 'get' };
    return inSpan('store.get', attributes, run, { kind: SpanKind.CLIENT });
  };
  const { connections, connectors } = store;
  return withMethods(store, {
    connections: withMethods(connections, { get: (id) => read('connections', () => connections.get(id)) }),
    connectors: withMethods(connectors, { get: (key) => read('connectors', () => connectors.get(key)) }),
  });
}

/** What is traced of the connection cache (`src/connections/cache.ts`). */
interface ConnectionLoader {
  load(id: string): Promise<{ connection: { connector: string } } | null>;
}

export function instrumentCache<C extends ConnectionLoader>(cache: C): C {
  if (!tracingOn()) return cache;
  const overrides: ConnectionLoader = {
    load: (id) =>
      inSpan('connection.load', { [ATTR.connectionId]: id }, (span) => {
        const record: LoadRecord = { storeRead: false };
        return context.with(context.active().setValue(CACHE_LOAD, record), async () => {
          const loaded = await cache.load(id);
          span.setAttribute(ATTR.cacheHit, !record.storeRead);
          if (loaded) {
            span.setAttribute(ATTR.connector, loaded.connection.connector);
            annotateJob({ [ATTR.connector]: loaded.connection.connector });
          }
          return loaded;
        });
      }),
  };
  return withMethods(cache, overrides as Partial<C>);
}

export function instrumentLock<L extends SingleFlightLock>(lock: L): L {
  if (!tracingOn()) return lock;
  const overrides: Partial<SingleFlightLock> = {
    waitForRelease: (id) => inSpan('renewal.wait', { [ATTR.connectionId]: id }, () => lock.waitForRelease(id)),
  };
  return withMethods(lock, overrides as Partial<L>);
}
