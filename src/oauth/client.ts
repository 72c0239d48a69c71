/**
 * The three OAuth exchanges end to end: build → send → classify or process. Each takes the transport that sends
 * (as oauth4webapi's `customFetch`); its errors pass through unchanged (they are AppErrors already).
 */
import type { Transport } from '../http/send.js';
import { ATTR } from '../telemetry/attributes.js';
import { inSpan } from '../telemetry/tracing.js';
import { buildRevocationRequest, processRevocationResponse } from './revocation.js';
import { secretsOf } from './secrets-of.js';
import { buildClientCredentialsRequest, buildRefreshTokenRequest } from './token-request.js';
import { processTokenResponse } from './token-response.js';
import type { RevocationOutcome, TokenEndpointSpec, TokenSet } from './types.js';

export function requestToken(spec: TokenEndpointSpec, send: Transport, now?: Date): Promise<TokenSet> {
  return inSpan('oauth.token', { [ATTR.grantType]: 'client_credentials' }, async () => {
    const response = await send(await buildClientCredentialsRequest(spec, now));
    return processTokenResponse(response, spec, now);
  });
}

export function refreshToken(
  spec: TokenEndpointSpec,
  send: Transport,
  refreshToken: string,
  url: string,
  now?: Date,
): Promise<TokenSet> {
  return inSpan('oauth.token', { [ATTR.grantType]: 'refresh_token' }, async () => {
    const response = await send(await buildRefreshTokenRequest(spec, refreshToken, url, now));
    return processTokenResponse(response, { ...spec, knownSecrets: [...(spec.knownSecrets ?? []), refreshToken] }, now);
  });
}

export function revokeToken(
  spec: TokenEndpointSpec,
  send: Transport,
  token: string,
  hint: 'access_token' | 'refresh_token',
  url: string,
): Promise<RevocationOutcome> {
  return inSpan('oauth.revoke', { [ATTR.tokenHint]: hint }, () => revokeOnce(spec, send, token, hint, url));
}

async function revokeOnce(
  spec: TokenEndpointSpec,
  send: Transport,
  token: string,
  hint: 'access_token' | 'refresh_token',
  url: string,
): Promise<RevocationOutcome> {
  const response = await send(
    await buildRevocationRequest({
      url,
      token,
      tokenTypeHint: hint,
      clientAuth: spec.clientAuth,
      credentials: spec.credentials,
      assertion: spec.assertion,
      headers: spec.headers,
      timeoutMs: spec.timeoutMs,
    }),
  );
  return processRevocationResponse(response, secretsOf(spec, token));
}
