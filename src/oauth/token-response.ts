/**
 * Reads a token endpoint's answer into a TokenSet, leniently: providers disagree on formats, paths, units and
 * types (RFC 6749 §5.1 says unknown fields must be ignored; `expires_in` is only recommended).
 */

import { holdsSecret, secretForms } from '../domain/secret-forms.js';
import { looksSecretName } from '../domain/secret-names.js';
import { AppError } from '../errors.js';
import type { InboundResponse } from '../http/send.js';
import { isRecord, parseBody, readPath } from './body.js';
import { classifyTokenEndpointFailure } from './classify.js';
import { excerpt } from './excerpt.js';
import { secretsOf } from './secrets-of.js';
import type { TokenEndpointSpec, TokenSet } from './types.js';

/** Epoch values below this are seconds, above it milliseconds (1e11 s is the year 5138). */
const EPOCH_MS_THRESHOLD = 1e11;
const MAX_META_DEPTH = 4;

export function processTokenResponse(response: InboundResponse, spec: TokenEndpointSpec, now = new Date()): TokenSet {
  const secrets = secretsOf(spec);
  if (response.status < 200 || response.status > 299) throw classifyTokenEndpointFailure(response, secrets);
  const parsed = parseBody(response);
  if (!parsed.ok) {
    throw new AppError(
      'permanent',
      'invalid_token_response',
      `token endpoint answered ${response.status} with a body that is neither JSON nor form-encoded`,
      { status: response.status },
    );
  }
  const body = parsed.value;
  // A 200 carrying an error (RFC 6749 §5.2 fields) is a failure all the same.
  if (body.error !== undefined && body.error !== null && body.error !== '') {
    throw classifyTokenEndpointFailure(response, secrets);
  }
  const paths = spec.response;
  const accessToken = readPath(body, paths.accessToken);
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new AppError(
      'permanent',
      'invalid_token_response',
      `token endpoint answered ${response.status} without an access token at '${paths.accessToken}' (fields: ${excerpt(Object.keys(body).slice(0, 20).join(', '), 200, secrets) || 'none'}); set token.response.accessToken to where the token is, such as data.token`,
      { status: response.status },
    );
  }
  const refreshToken = readPath(body, paths.refreshToken);
  const refresh = typeof refreshToken === 'string' && refreshToken !== '' ? refreshToken : null;
  const issued = refresh ? [accessToken, refresh] : [accessToken];
  return {
    accessToken,
    tokenType: readTokenType(readPath(body, paths.tokenType)),
    expiresAt: readExpiry(body, spec, now),
    refreshToken: refresh,
    scopes: readScopes(readPath(body, paths.scope)),
    meta: sanitizeMeta(body, [...secrets, ...issued].flatMap(secretForms), 0) as Record<string, unknown>,
  };
}

/** token_type is case-insensitive (§5.1): `bearer` is normalised to `Bearer`; a missing one is tolerated. */
function readTokenType(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return value.toLowerCase() === 'bearer' ? 'Bearer' : value;
}

/**
 * The absolute expiry wins when present; then the relative lifetime in its unit; then the definition's default.
 * A lifetime of zero or less is read as "not given": some providers send 0 for tokens that do not expire, and
 * taking it literally would renew in a loop.
 */
function readExpiry(body: Record<string, unknown>, spec: TokenEndpointSpec, now: Date): Date | null {
  const paths = spec.response;
  if (paths.expiresAt) {
    const absolute = readAbsolute(readPath(body, paths.expiresAt));
    if (absolute !== undefined) return new Date(absolute);
  }
  const relative = readNumber(readPath(body, paths.expiresIn));
  if (relative !== undefined && relative > 0) {
    return new Date(now.getTime() + relative * (paths.expiresInUnit === 'milliseconds' ? 1 : 1000));
  }
  return spec.defaultLifetimeSeconds === null ? null : new Date(now.getTime() + spec.defaultLifetimeSeconds * 1000);
}

function readNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** Epoch seconds or milliseconds (number or numeric string), or an ISO 8601 date. */
function readAbsolute(value: unknown): number | undefined {
  const epoch = readNumber(value);
  if (epoch !== undefined) return epoch < EPOCH_MS_THRESHOLD ? epoch * 1000 : epoch;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}

function readScopes(value: unknown): string[] | null {
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  return null;
}

/**
 * Non-secret fields for `{{token.…}}` (instance_url, api_domain, scope…): fields whose name looks secret are
 * dropped at any depth, and so is any value holding the client's secret or an issued token in any of its forms,
 * whatever its name: a definition may name a connection after these values, and names are shown.
 */
function sanitizeMeta(value: unknown, forms: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return holdsSecret(value, forms) ? undefined : value;
  if (depth > MAX_META_DEPTH) return undefined;
  if (Array.isArray(value)) {
    return value.map((item) => sanitizeMeta(item, forms, depth + 1)).filter((item) => item !== undefined);
  }
  if (!isRecord(value)) return value;
  const kept: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (looksSecretName(key) || key === '__proto__') continue;
    const clean = sanitizeMeta(item, forms, depth + 1);
    if (clean !== undefined) kept[key] = clean;
  }
  return kept;
}
