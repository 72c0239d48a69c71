/**
 * Key rotation: re-seals with the current key every stored value sealed with an older one.
 *
 * Safe while workers run: every write is a compare-and-set on the connection's version and patches only the sealed
 * fields, so a concurrent worker's write is never lost; on a conflict the connection is re-read and re-sealed from
 * what the worker wrote. Old keys stay in the ring until rotation is done, so jobs keep opening old values meanwhile.
 *
 * Idempotent, hence resumable: values already sealed with the current key are left alone, so an interrupted run is
 * finished by running it again, and a second run finds nothing to do.
 */

import type { Connection, ConnectionPatch } from '../domain/model.js';
import { AppError } from '../errors.js';
import type { Store } from '../store/port.js';
import type { KeyRing } from './keyring.js';

/** Attempts to write one connection that keeps being changed by others before giving up on it for this run. */
const MAX_ATTEMPTS = 10;
const SKIPPED_ERRORS = ['sealed_value_invalid', 'rotation_conflict'];

export interface RotateProgress {
  /** Connections read so far. */
  examined: number;
  /** Connections re-sealed so far. */
  resealed: number;
}

export interface RotateOptions {
  /** Connections read per page. @default 100 */
  pageSize?: number;
  /** Stops between two pages (rejects with the signal's reason); run again to finish. */
  signal?: AbortSignal;
  /** Called after each page. */
  onProgress?: (progress: RotateProgress) => void;
}

export interface RotateResult extends RotateProgress {
  /** Writes that met a concurrent write and were retried. */
  conflicts: number;
  /** Connections left as they were: a value did not open (unknown key, altered), or writes kept conflicting. */
  failed: { connectionId: string; message: string }[];
}

/** The patch re-sealing every value of `connection` sealed with an older key; null when there is none. */
function resealPatch(connection: Connection, keys: KeyRing): ConnectionPatch | null {
  const stale = (value: string | null): value is string => keys.isSealed(value) && !keys.isCurrent(value);
  const patch: ConnectionPatch = {};
  if (Object.values(connection.secrets).some(stale)) {
    patch.secrets = Object.fromEntries(
      Object.entries(connection.secrets).map(([name, value]) => [name, stale(value) ? keys.reseal(value) : value]),
    );
  }
  if (stale(connection.accessToken)) patch.accessToken = keys.reseal(connection.accessToken);
  if (stale(connection.refreshToken)) patch.refreshToken = keys.reseal(connection.refreshToken);
  return Object.keys(patch).length > 0 ? patch : null;
}

/** Re-seals one connection, re-reading it after each conflicting write. True when a write was made. */
async function rotateConnection(store: Store, keys: KeyRing, connection: Connection, result: RotateResult) {
  let current: Connection | null = connection;
  for (let attempt = 1; current; attempt++) {
    const patch = resealPatch(current, keys);
    if (!patch) return false;
    if (await store.connections.update(current.id, current.version, patch)) return true;
    result.conflicts++;
    if (attempt === MAX_ATTEMPTS) {
      throw new AppError('transient', 'rotation_conflict', `changed by others ${MAX_ATTEMPTS} times; run again`);
    }
    current = await store.connections.get(current.id);
  }
  return false;
}

async function rotateOrRecord(store: Store, keys: KeyRing, connection: Connection, result: RotateResult) {
  try {
    if (await rotateConnection(store, keys, connection, result)) result.resealed++;
  } catch (error) {
    // Only errors about this one connection are recorded and skipped; anything else (database down) stops the run.
    if (!(error instanceof AppError) || !SKIPPED_ERRORS.includes(error.code)) throw error;
    result.failed.push({ connectionId: connection.id, message: error.message });
  }
}

/** Re-seals with the current key every secret value, access token and refresh token sealed with another key. */
export async function rotateKeys(store: Store, keys: KeyRing, options: RotateOptions = {}): Promise<RotateResult> {
  const result: RotateResult = { examined: 0, resealed: 0, conflicts: 0, failed: [] };
  let after: string | undefined;
  do {
    options.signal?.throwIfAborted();
    const page = await store.connections.list({}, { after, limit: options.pageSize ?? 100 });
    // A page is written concurrently: rotating many connections is bound by round trips, not by the database.
    await Promise.all(page.items.map((connection) => rotateOrRecord(store, keys, connection, result)));
    result.examined += page.items.length;
    options.onProgress?.({ examined: result.examined, resealed: result.resealed });
    after = page.next ?? undefined;
  } while (after !== undefined);
  return result;
}
