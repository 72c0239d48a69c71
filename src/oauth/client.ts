/**
 * The three OAuth exchanges end to end: build → send → classify or process. Each takes the transport that sends
 * (as oauth4webapi's `customFetch`); its errors pass through unchanged (they are AppErrors already).
 */
import type { Transport } from '../http/send.js';
import { buildRevocationRequest, processRevocationResponse } from './revocation.js';
import { buildClientCredentialsRequest, buildRefreshTokenRequest } from './token-request.js';
import { processTokenResponse } from './token-response.js';
import type { RevocationOutcome, TokenEndpointSpec, TokenSet } from './types.js';

export async function requestToken(spec: TokenEndpointSpec, send: Transport, now?: Date): Promise<TokenSet> {
  const response = await send(await buildClientCredentialsRequest(spec, now));
  return processTokenResponse(response, spec, now);
}

export async function refreshToken(
  spec: TokenEndpointSpec,
  send: Transport,
  refreshToken: string,
  url: string,
  now?: Date,
): Promise<TokenSet> {
  const response = await send(await buildRefreshTokenRequest(spec, refreshToken, url, now));
  return processTokenResponse(response, spec, now);
}

export async function revokeToken(
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
  return processRevocationResponse(response, secretsOf(spec));
}

function secretsOf(spec: TokenEndpointSpec): string[] {
  return spec.credentials.clientSecret ? [spec.credentials.clientSecret] : [];
}
