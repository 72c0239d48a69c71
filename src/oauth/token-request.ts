/**
 * Token requests: client credentials (RFC 6749 §4.4) and refresh (§6).
 */
import type { OutboundRequest } from '../http/send.js';
import { buildEndpointRequest } from './endpoint-request.js';
import type { TokenEndpointSpec } from './types.js';

export function buildClientCredentialsRequest(spec: TokenEndpointSpec, now?: Date): Promise<OutboundRequest> {
  const params: Array<[string, string]> = [];
  if (spec.grantType !== null) params.push(['grant_type', spec.grantType]);
  if (spec.scope) params.push(['scope', spec.scope]);
  return buildEndpointRequest({ ...spec, params, extraParams: spec.params, now });
}

/**
 * A refresh sends grant_type, the refresh token and client authentication only: the scope and extra parameters
 * of the original grant are bound to the refresh token already.
 */
export function buildRefreshTokenRequest(
  spec: TokenEndpointSpec,
  refreshToken: string,
  url: string,
  now?: Date,
): Promise<OutboundRequest> {
  return buildEndpointRequest({
    ...spec,
    url,
    params: [
      ['grant_type', 'refresh_token'],
      ['refresh_token', refreshToken],
    ],
    now,
  });
}
