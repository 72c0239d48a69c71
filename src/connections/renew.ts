/**
 * Token renewal, single-flight across processes: whoever holds the connection's lock asks the provider; everyone
 * else waits, re-reads the connection and uses the token the holder stored.
 */
import { renderUrl } from '../definitions/templates.js';
import type { Connection } from '../domain/model.js';
import { AppError, isAppError, notFound } from '../errors.js';
import { refreshToken, requestToken } from '../oauth/client.js';
import type { TokenSet } from '../oauth/types.js';
import { ATTR } from '../telemetry/attributes.js';
import { inSpan } from '../telemetry/tracing.js';
import type { LoadedConnector } from './cache.js';
import { connectionContext, openToken } from './context.js';
import { assertUsable, patchConnection } from './load.js';
import type { Services } from './services.js';
import { isTokenDue, tokenEndpointSpec, tokenPatch } from './token.js';

export interface RenewOptions {
  /**
   * Renew even if the token is not due, unless it changed since `staleToken` (the sealed token the caller saw
   * rejected, or holds): another process renewed it meanwhile, and that token is used instead. @default false
   */
  force?: boolean;
  /** The sealed access token the caller considers stale. @default the token stored when the renewal starts */
  staleToken?: string | null;
  /** Renew a connection in status `error` (a renewal asked for by hand). @default false */
  allowError?: boolean;
  /**
   * Opportunistic renewal, before the token is used: it is due only once the scheduled renewal is late (see
   * `DueFor`), and while the last renewal failure is within the cooldown and the token has not actually expired, it
   * is used instead of asking a failing provider again. @default false
   */
  beforeUse?: boolean;
  /** The attempt of the job asking, reported by a `connection.renewal_failed` event. */
  attempt?: number;
}

export interface RenewOutcome {
  connection: Connection;
  /** True when this call made the token request. */
  renewed: boolean;
}

const stillValid = (connection: Connection, now = Date.now()) =>
  connection.accessToken !== null && (connection.expiresAt === null || connection.expiresAt.getTime() > now);

/** A token that is due but still valid, whose last renewal failed within the cooldown. */
function inCooldown(connection: Connection, cooldownMs: number, now = Date.now()): boolean {
  if (cooldownMs === 0 || !connection.lastError) return false;
  return stillValid(connection, now) && now - connection.lastError.at.getTime() < cooldownMs;
}

/**
 * Before an API request: renews a due token, but keeps using one that has not expired yet when the provider fails
 * transiently or failed within the cooldown; the request needs a valid token, not necessarily a fresh one.
 */
export async function ensureUsableToken(
  services: Services,
  connection: Connection,
  options: Pick<RenewOptions, 'allowError'> = {},
): Promise<void> {
  if (!isTokenDue(connection, Date.now(), 'use')) return;
  try {
    await renewToken(services, connection, { ...options, beforeUse: true });
  } catch (error) {
    if (!(isAppError(error) && error.kind === 'transient' && stillValid(connection))) throw error;
    services.log.warn(
      { connectionId: connection.id, code: error.code },
      'renewal failed; using the current token until it expires',
    );
  }
}

async function read(services: Services, id: string): Promise<Connection> {
  const connection = await services.store.connections.get(id);
  if (!connection) throw notFound(`connection ${id}`);
  return connection;
}

/** Makes sure `connection` has a usable token, renewing it at most once across all processes. */
export async function renewToken(
  services: Services,
  start: Connection,
  options: RenewOptions = {},
): Promise<RenewOutcome> {
  const staleToken = options.force ? (options.staleToken ?? start.accessToken) : undefined;
  const cooldownMs = options.beforeUse ? services.settings.renewalCooldownMs : 0;
  const dueFor = options.beforeUse ? 'use' : 'renewal';
  const needsRenewal = (connection: Connection) =>
    options.force
      ? connection.accessToken === staleToken
      : isTokenDue(connection, Date.now(), dueFor) && !inCooldown(connection, cooldownMs);

  for (;;) {
    const current = await read(services, start.id);
    assertUsable(current, options.allowError);
    if (!needsRenewal(current)) return { connection: current, renewed: false };
    const lockToken = await services.lock.tryAcquire(current.id);
    if (!lockToken) {
      services.observer.lockWaited?.();
      await services.lock.waitForRelease(current.id);
      continue;
    }
    try {
      const locked = await read(services, start.id);
      assertUsable(locked, options.allowError);
      if (!needsRenewal(locked)) return { connection: locked, renewed: false };
      const attributes = { [ATTR.connectionId]: locked.id, [ATTR.connector]: locked.connector };
      const renewed = await inSpan('connection.renew', attributes, () =>
        renewLocked(services, locked, options.attempt),
      );
      return { connection: renewed, renewed: true };
    } finally {
      await services.lock.release(current.id, lockToken);
    }
  }
}

/** Asks the provider for a new token; the caller holds the lock. Records failures on the connection. */
async function renewLocked(services: Services, connection: Connection, attempt?: number): Promise<Connection> {
  const connector = await services.cache.connector(connection.connector);
  const issuedAt = new Date();
  let tokens: TokenSet;
  try {
    tokens = await fetchToken(services, connector, connection);
    services.observer.tokenRequested?.(connection.connector, 'ok');
  } catch (error) {
    await recordRenewalFailure(services, connection, error, attempt);
    throw error;
  }
  const patch = {
    ...tokenPatch(services.keys, connection.id, tokens, connector.resolved, issuedAt, connection.refreshToken),
    status: 'active' as const,
    lastError: null,
    events: [{ type: 'connection.renewed' as const }],
  };
  // A revoke that started meanwhile wins: the new token is dropped, never resurrecting the connection.
  const updated = await patchConnection(services, connection, (current) =>
    current.status === 'revoking' || current.status === 'revoked' ? null : patch,
  );
  if (updated.status === 'active') {
    await services.renewals.schedule(updated);
    services.observer.renewed?.(updated, 'ok');
  }
  return updated;
}

/** With a refresh URL and a stored refresh token: the refresh grant; otherwise the client credentials grant again. */
async function fetchToken(services: Services, connector: LoadedConnector, connection: Connection): Promise<TokenSet> {
  const context = connectionContext(services.keys, connection);
  const spec = tokenEndpointSpec(connector.resolved, context, services.settings.tokenRequestTimeoutMs);
  const refreshDefinition = connector.resolved.refresh;
  const storedRefreshToken = openToken(services.keys, connection, 'refresh_token');
  if (refreshDefinition && storedRefreshToken) {
    try {
      return await refreshToken(
        spec,
        services.transport,
        storedRefreshToken,
        renderUrl(refreshDefinition.url, context),
      );
    } catch (error) {
      // An expired refresh token is no reason to give up: the client's own credentials can always ask again.
      if (!(isAppError(error) && error.kind === 'permanent' && error.code === 'invalid_grant')) throw error;
    }
  }
  return requestToken(spec, services.transport);
}

/**
 * A permanent failure puts the connection in `error` and stops automatic renewal. A transient one keeps it active and
 * records the error: the job retries with backoff, and the scheduler's sweep holds off for the cooldown after
 * `lastError.at`, so a broken provider is not asked thousands of times a day.
 */
async function recordRenewalFailure(
  services: Services,
  connection: Connection,
  error: unknown,
  attempt?: number,
): Promise<void> {
  const appError = isAppError(error) ? error : new AppError('transient', 'unexpected', 'unexpected renewal failure');
  services.observer.tokenRequested?.(connection.connector, appError.kind === 'transient' ? 'transient' : 'permanent');
  const lastError = { code: appError.code, message: appError.message, at: new Date() };
  const permanent = appError.kind !== 'transient';
  const failure = { code: appError.code, description: appError.message };
  const updated = await patchConnection(services, connection, (current) => {
    if (current.status === 'revoking' || current.status === 'revoked') return null;
    return permanent
      ? { status: 'error', lastError, renewAt: null, events: [{ type: 'connection.error', ...failure }] }
      : { lastError, events: [{ type: 'connection.renewal_failed', attempt, ...failure }] };
  });
  services.observer.renewed?.(updated, 'failed');
}
