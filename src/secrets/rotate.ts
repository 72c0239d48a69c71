/**
 * Key rotation: re-seals with the current key every stored value sealed with an older one, and in the bound format
 * (`keyring.ts`) every value of the earlier, unbound one.
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
import { type Place, secretPlace, tokenPlace } from './places.js';

/** Attempts to write one connection that keeps being changed by others before giving up on it for this run. */
const MAX_ATTEMPTS = 10;
const SKIPPED_ERRORS = ['sealed_value_invalid', 'invalid_sealed_value', 'rotation_conflict'];

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
  /** Values of the earlier, unbound format re-sealed in the bound one. */
  upgraded: number;
  /** Connections left as they were: a value did not open (unknown key, altered), or writes kept conflicting. */
  failed: { connectionId: string; message: string }[];
}

/** The patch re-sealing every value of `connection` not sealed with the current key and bound; null when none is. */
function resealPatch(connection: Connection, keys: KeyRing): { patch: ConnectionPatch; upgraded: number } | null {
  const stale = (value: string | null): value is string => keys.isSealed(value) && !keys.isCurrent(value);
  const patch: ConnectionPatch = {};
  let upgraded = 0;
  const reseal = (value: string, place: Place) => {
    if (keys.isLegacy(value)) upgraded++;
    return keys.reseal(value, place);
  };
  if (Object.values(connection.secrets).some(stale)) {
    patch.secrets = Object.fromEntries(
      Object.entries(connection.secrets).map(([name, value]) => [
        name,
        stale(value) ? reseal(value, secretPlace(connection.id, name)) : value,
      ]),
    );
  }
  if (stale(connection.accessToken))
    patch.accessToken = reseal(connection.accessToken, tokenPlace(connection.id, 'access_token'));
  if (stale(connection.refreshToken))
    patch.refreshToken = reseal(connection.refreshToken, tokenPlace(connection.id, 'refresh_token'));
  return Object.keys(patch).length > 0 ? { patch, upgraded } : null;
}

/** Re-seals one connection, re-reading it after each conflicting write. True when a write was made. */
async function rotateConnection(store: Store, keys: KeyRing, connection: Connection, result: RotateResult) {
  let current: Connection | null = connection;
  for (let attempt = 1; current; attempt++) {
    const resealed = resealPatch(current, keys);
    if (!resealed) return false;
    if (await store.connections.update(current.id, current.version, resealed.patch)) {
      result.upgraded += resealed.upgraded;
      return true;
    }
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

/**
 * Re-seals with the current key, bound to its place, every secret value, access token and refresh token sealed with
 * another key or in the earlier, unbound format.
 */
export async function rotateKeys(store: Store, keys: KeyRing, options: RotateOptions = {}): Promise<RotateResult> {
  const result: RotateResult = { examined: 0, resealed: 0, conflicts: 0, upgraded: 0, failed: [] };
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
