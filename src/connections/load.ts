/** Loading and writing connections the way every use case needs it: owner-checked, version-safe, published. */

import type { Connection, ConnectionPatch, EventDetails } from '../domain/model.js';
import { AppError, notFound } from '../errors.js';
import { connectionEvent } from '../events/event.js';
import type { LoadedConnection } from './cache.js';
import type { Services } from './services.js';

/**
 * The connection `id` of `owner`. Another owner's connection is "not found", exactly like a missing one, so a job
 * can never learn that it exists.
 */
export async function loadOwned(services: Services, owner: string, id: string): Promise<LoadedConnection> {
  const loaded = await services.cache.load(id);
  if (!loaded || loaded.connection.owner !== owner) throw notFound(`connection ${id}`);
  return loaded;
}

/**
 * As `loadOwned`, but read from the store and published to every cache. For refresh and revoke: a worker that died
 * between its store write and its publish left the caches one version behind, and these jobs repair that instead of
 * deciding on the stale copy.
 */
export async function loadOwnedFromStore(services: Services, owner: string, id: string): Promise<LoadedConnection> {
  const connection = await services.store.connections.get(id);
  if (!connection || connection.owner !== owner) throw notFound(`connection ${id}`);
  return services.cache.remember(connection);
}

/** Refuses connections that may not be used for API requests. */
export function assertUsable(connection: Connection, allowError = false): void {
  const { status } = connection;
  if (status === 'active' || (allowError && status === 'error')) return;
  const fix =
    status === 'error'
      ? `its last error was ${connection.lastError?.code ?? 'unknown'}; connect it again or run a refresh job`
      : status === 'pending'
        ? 'it is still being connected'
        : 'connect it again to use it';
  throw new AppError('permanent', `connection_${status}`, `connection ${connection.id} is ${status}: ${fix}`);
}

/** A patch, and the events announcing it: stored by the same write, published later (see src/events/). */
export type ConnectionChange = ConnectionPatch & { events?: EventDetails[] };

/**
 * Applies a patch computed from the current state, retrying on version conflicts (another worker wrote in between).
 * `decide` may return null to write nothing (for example when the connection was revoked meanwhile).
 * The result is published to every process's cache before this returns.
 */
export async function patchConnection(
  services: Services,
  start: Connection,
  decide: (current: Connection) => ConnectionChange | null,
): Promise<Connection> {
  let current: Connection | null = start;
  for (let attempt = 0; attempt < 10 && current; attempt++) {
    const change = decide(current);
    if (change === null) return current;
    const { events = [], ...patch } = change;
    const from = current;
    const status = { status: patch.status ?? from.status, previousStatus: from.status };
    const updated = await services.store.connections.update(
      from.id,
      from.version,
      patch,
      events.map((details) => connectionEvent(from, status, details)),
    );
    if (updated) {
      await services.cache.publish(updated);
      return updated;
    }
    current = await services.store.connections.get(start.id);
  }
  if (!current) throw notFound(`connection ${start.id}`);
  throw new AppError('transient', 'write_conflict', `connection ${start.id} kept changing while it was being written`);
}
