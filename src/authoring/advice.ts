/**
 * What to change in a definition, read from what the provider answered. Each rule names the setting and its current
 * value; none repeats a secret.
 */
import type { ResolvedConnector } from '../definitions/resolve.js';
import { isAppError } from '../errors.js';
import type { InboundResponse } from '../http/send.js';
import { isRecord, parseBody, readPath } from '../oauth/body.js';

const MAX_DEPTH = 5;
const TOKEN_NAME = /token|jwt|bearer|access/i;
const HARMLESS_NAME = /type|expires|_in$|_at$|scope/i;
const EXPIRY_NAME = /expir|ttl|lifetime|valid/i;

/** Dot paths of an answer whose value is a string under a token-like name, or a JWT, excluding `except`. */
export function tokenLikePaths(body: Record<string, unknown>, except: string): string[] {
  return leafPaths(body)
    .filter(
      ([path, value]) =>
        path !== except &&
        typeof value === 'string' &&
        value.length >= 8 &&
        ((TOKEN_NAME.test(lastKey(path)) && !HARMLESS_NAME.test(lastKey(path))) || /^eyJ[\w-]+\.[\w-]+/.test(value)),
    )
    .map(([path]) => path);
}

function expiryLikePaths(body: Record<string, unknown>): string[] {
  return leafPaths(body)
    .filter(
      ([path, value]) => EXPIRY_NAME.test(lastKey(path)) && (typeof value === 'number' || typeof value === 'string'),
    )
    .map(([path]) => path);
}

const lastKey = (path: string) => path.split('.').at(-1) ?? '';

function leafPaths(value: unknown, prefix = '', depth = 0): Array<[string, unknown]> {
  if (!isRecord(value) || depth > MAX_DEPTH) return prefix ? [[prefix, value]] : [];
  return Object.entries(value).flatMap(([key, item]) => leafPaths(item, prefix ? `${prefix}.${key}` : key, depth + 1));
}

function answerOf(response: InboundResponse | undefined): Record<string, unknown> | undefined {
  if (!response) return undefined;
  const parsed = parseBody(response);
  return parsed.ok ? parsed.value : undefined;
}

/** Advice for a failed token request. */
export function tokenAdvice(
  error: unknown,
  connector: ResolvedConnector,
  response: InboundResponse | undefined,
): string[] {
  const token = connector.token;
  const code = isAppError(error) ? error.code : '';
  const body = answerOf(response);
  const advice: string[] = [];
  if (response && response.status >= 200 && response.status < 300 && typeof body?.error === 'string') {
    advice.push(
      `the token endpoint answered ${response.status} but its body carries error "${body.error}": the status cannot be trusted; check token.response (paths now: accessToken ${token.response.accessToken}) and the cause below`,
    );
  }
  if (code === 'invalid_client' && token.clientAuth === 'basic') {
    advice.push(
      'invalid_client with clientAuth basic: the secret may contain reserved characters that basic form-encodes (RFC 6749 §2.3.1) and the provider may not decode them; try token.clientAuth "basic_raw" or "body" (--probe tries them)',
    );
  } else if (code === 'invalid_client') {
    advice.push(
      `invalid_client with clientAuth ${token.clientAuth}: check the client id and secret, or how the provider wants them sent (token.clientAuth, token.format; --probe tries the others)`,
    );
  }
  if (code === 'unsupported_grant_type') {
    advice.push(
      `unsupported_grant_type: set token.grantType to what the provider documents (now ${token.grantType === null ? 'null, none sent' : `"${token.grantType}"`})`,
    );
  }
  if (code === 'invalid_scope') {
    advice.push(
      `invalid_scope: check token.scopes (now ${JSON.stringify(token.scopes)}) and token.scopeSeparator (now ${JSON.stringify(token.scopeSeparator)}); some providers want a comma, or no scope at all`,
    );
  }
  if (code === 'invalid_token_response' && body) {
    const paths = tokenLikePaths(body, token.response.accessToken);
    advice.push(
      paths.length > 0
        ? `no access token at "${token.response.accessToken}"; the answer has token-like values at ${paths.join(', ')}: set token.response.accessToken to the right one`
        : `no access token at "${token.response.accessToken}" and nothing in the answer looks like one; check token.response.accessToken and the request`,
    );
  }
  return advice;
}

/** Advice after a token was obtained: where its lifetime came from. */
export function lifetimeAdvice(connector: ResolvedConnector, response: InboundResponse | undefined): string[] {
  const body = answerOf(response);
  if (!body) return [];
  const paths = connector.token.response;
  const hasExpiry =
    (paths.expiresAt !== undefined && readPath(body, paths.expiresAt) !== undefined) ||
    readPath(body, paths.expiresIn) !== undefined;
  if (hasExpiry) return [];
  const lifetime = connector.token.defaultLifetimeSeconds;
  const applies =
    lifetime === null
      ? 'token.defaultLifetimeSeconds is null, so the token is taken to never expire'
      : `the default lifetime of ${lifetime} s (token.defaultLifetimeSeconds) applies`;
  const candidates = expiryLikePaths(body);
  const hint =
    candidates.length > 0
      ? `; the answer has ${candidates.join(', ')}: point token.response.expiresIn or expiresAt there`
      : "; set it to the provider's documented lifetime";
  return [`the answer has no ${paths.expiresIn}: ${applies}${hint}`];
}

/** Advice for a refused test API or call. */
export function apiAdvice(connector: ResolvedConnector, response: InboundResponse, what: string): string[] {
  if (response.status !== 401 && response.status !== 403) return [];
  const headers = Object.entries(connector.requestDefaults.headers).map(([name, value]) => `${name}: ${value}`);
  const challenge = response.headers['www-authenticate'];
  return [
    `${what} answered ${response.status}: the token was not accepted as sent; check the header name and prefix in requestDefaults.headers (now ${headers.join(', ') || 'none'})${challenge ? `; the provider asks for: ${challenge.split(',', 1)[0]}` : ''}${response.status === 403 ? '; a 403 can also mean the app lacks a permission or scope' : ''}`,
  ];
}
