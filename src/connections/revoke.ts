/**
 * revoke: the connection becomes `revoking` at once (no API call may use it from then on), the provider is asked to
 * revoke its tokens (RFC 7009) when a revoke URL is configured, then tokens and secrets are wiped.
 * A transient provider failure is thrown (the job retries; the token is still alive and the connection stays
 * `revoking`). Running it again after success changes nothing.
 */
import { renderUrl } from '../definitions/templates.js';
import type { Connection } from '../domain/model.js';
import type { RevokeCommand, RevokeResult } from '../domain/use-cases.js';
import { isAppError } from '../errors.js';
import { revokeToken } from '../oauth/client.js';
import type { LoadedConnector } from './cache.js';
import { connectionContext, openToken } from './context.js';
import { loadOwnedFromStore, patchConnection } from './load.js';
import type { Services } from './services.js';
import { tokenEndpointSpec } from './token.js';

type ProviderOutcome = Pick<RevokeResult, 'providerRevoked' | 'reason'>;

export async function revokeConnection(services: Services, payload: RevokeCommand): Promise<RevokeResult> {
  const { connection: loaded, connector } = await loadOwnedFromStore(services, payload.owner, payload.connectionId);
  if (loaded.status === 'revoked') {
    return { connectionId: loaded.id, status: 'revoked', providerRevoked: null, reason: 'already revoked' };
  }
  const revoking = await patchConnection(services, loaded, (current) =>
    current.status === 'revoking' || current.status === 'revoked' ? null : { status: 'revoking', renewAt: null },
  );
  const outcome = await revokeAtProvider(services, revoking, connector);
  // The event names the status the connection had before the revoke began, not the passing `revoking`.
  const revoked = { type: 'connection.revoked' as const, previousStatus: loaded.status, ...outcome };
  await patchConnection(services, revoking, (current) =>
    current.status === 'revoked'
      ? null
      : {
          status: 'revoked',
          accessToken: null,
          refreshToken: null,
          secrets: {},
          expiresAt: null,
          renewAt: null,
          events: [revoked],
        },
  );
  return { connectionId: loaded.id, status: 'revoked', ...outcome };
}

async function revokeAtProvider(
  services: Services,
  connection: Connection,
  connector: LoadedConnector,
): Promise<ProviderOutcome> {
  const revoke = connector.resolved.revoke;
  if (!revoke) return { providerRevoked: null, reason: 'the connector has no revoke URL' };
  const tokens: Array<[string, 'access_token' | 'refresh_token']> = [];
  for (const kind of ['access_token', 'refresh_token'] as const) {
    const token = openToken(services.keys, connection, kind);
    if (token) tokens.push([token, kind]);
  }
  if (tokens.length === 0) return { providerRevoked: null, reason: 'no token was held' };

  const context = connectionContext(services.keys, connection);
  const spec = tokenEndpointSpec(connector.resolved, context, services.settings.tokenRequestTimeoutMs);
  const url = renderUrl(revoke.url, context);
  for (const [token, hint] of tokens) {
    try {
      const result = await revokeToken(spec, services.transport, token, hint, url);
      if (!result.revoked) return { providerRevoked: false, reason: result.reason };
    } catch (error) {
      // A permanent refusal (such as invalid_client) will not change by retrying: wipe locally and say why.
      if (isAppError(error) && error.kind === 'permanent') return { providerRevoked: false, reason: error.message };
      throw error;
    }
  }
  return { providerRevoked: true };
}
