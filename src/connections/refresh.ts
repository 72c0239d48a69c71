/** refresh: renews a connection's token when due, or at once with `force`; single-flight (see `renew.ts`). */
import type { RefreshCommand, RefreshResult } from '../domain/use-cases.js';
import { loadOwnedFromStore } from './load.js';
import { renewToken } from './renew.js';
import type { Services } from './services.js';

/** @param attempt The job's attempt, for the `connection.renewal_failed` event. */
export async function refreshConnection(
  services: Services,
  payload: RefreshCommand,
  attempt?: number,
): Promise<RefreshResult> {
  const { connection } = await loadOwnedFromStore(services, payload.owner, payload.connectionId);
  // A forced refresh is the "by hand" renewal that may revive a connection in status error.
  const force = payload.force ?? false;
  if (!force && connection.status !== 'active') {
    // A scheduled renewal that outlived its connection's active life: nothing to do, and nothing to complain about.
    return { connectionId: connection.id, expiresAt: connection.expiresAt?.toISOString() ?? null, renewed: false };
  }
  const outcome = await renewToken(services, connection, { force, allowError: force, attempt });
  return {
    connectionId: connection.id,
    expiresAt: outcome.connection.expiresAt?.toISOString() ?? null,
    renewed: outcome.renewed,
  };
}
