/**
 * Token revocation (RFC 7009): a form POST with the token and a hint, the client authenticated as for the token
 * endpoint.
 */
import type { InboundResponse, OutboundRequest } from '../http/send.js';
import { parseBody } from './body.js';
import { classifyTokenEndpointFailure } from './classify.js';
import { buildEndpointRequest } from './endpoint-request.js';
import type { ClientAuthSpec, RevocationOutcome } from './types.js';

export interface RevocationSpec extends ClientAuthSpec {
  url: string;
  token: string;
  /** @default "access_token" */
  tokenTypeHint?: 'access_token' | 'refresh_token';
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export function buildRevocationRequest(spec: RevocationSpec, now?: Date): Promise<OutboundRequest> {
  return buildEndpointRequest({
    ...spec,
    format: 'form',
    params: [
      ['token', spec.token],
      ['token_type_hint', spec.tokenTypeHint ?? 'access_token'],
    ],
    now,
  });
}

/**
 * 200 means done, also for a token that was already invalid (§2.2). `unsupported_token_type` means the server
 * cannot revoke that kind of token: not revoked, and nothing to retry. 503 (and any other 5xx, 429…) means the
 * token is still alive: a transient AppError carrying Retry-After. Other 4xx are permanent.
 */
export function processRevocationResponse(
  response: InboundResponse,
  secrets: readonly string[] = [],
): RevocationOutcome {
  if (response.status >= 200 && response.status <= 299) return { revoked: true };
  const parsed = parseBody(response);
  if (response.status === 400 && parsed.ok && parsed.value.error === 'unsupported_token_type') {
    return { revoked: false, reason: 'unsupported_token_type' };
  }
  throw classifyTokenEndpointFailure(response, secrets, 'revocation endpoint');
}
