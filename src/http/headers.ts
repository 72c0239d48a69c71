/**
 * Header helpers for the call path: validation of rendered request headers, merging of header layers, and the
 * shaping of response headers returned to callers and written to logs.
 */
import { AppError } from '../errors.js';

/** A header value as undici returns it: `set-cookie` comes as an array. */
export type HeaderValue = string | string[];

export const REDACTED = '[redacted]';

/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** CR and LF split a header (request smuggling, header injection); NUL truncates it in some servers. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE_VALUE = /[\r\n\u0000]/;
/** Names that carry credentials or session state, whatever the provider calls them. */
const SENSITIVE_NAME = /auth|token|key|secret|cookie|session|password|credential|signature/i;
/** RFC 9110 §7.6.1: meaningful for one connection only, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Throws `invalid_header` (invalid_input) when `name` is not a token or `value` contains CR, LF or NUL.
 * The message names `path` (such as `headers.X-Foo`) and never the value, which may be a secret.
 */
export function assertHeaderSafe(name: string, value: string, path: string): void {
  if (!TOKEN.test(name)) {
    throw new AppError(
      'invalid_input',
      'invalid_header',
      `${path}: the header name must be a token (letters, digits, -)`,
    );
  }
  if (UNSAFE_VALUE.test(value)) {
    throw new AppError('invalid_input', 'invalid_header', `${path}: the header value must not contain CR, LF or NUL`);
  }
}

/** Merges header layers case-insensitively; later layers win; the result's names are lower-case. */
export function mergeHeaders(...layers: Array<Record<string, string> | undefined>): Record<string, string> {
  // A Map, then fromEntries: assigning a `__proto__` header on a plain object would change its prototype instead.
  const merged = new Map<string, string>();
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer ?? {})) merged.set(name.toLowerCase(), value);
  }
  return Object.fromEntries(merged);
}

function containsAny(value: HeaderValue, secrets: string[]): boolean {
  const values = typeof value === 'string' ? [value] : value;
  return values.some((v) => secrets.some((secret) => v.includes(secret)));
}

/**
 * Replaces with `[redacted]` the value of every header whose name suggests a credential (auth, token, key, secret,
 * cookie, session, password, credential, signature) or whose value contains one of `secretValues` (empty strings
 * are ignored). Names are kept as given; undefined values are dropped.
 */
export function maskHeaders<V extends HeaderValue>(
  headers: Readonly<Record<string, V | undefined>>,
  secretValues: Iterable<string>,
): Record<string, V | typeof REDACTED> {
  const secrets = [...secretValues].filter((secret) => secret !== '');
  const masked = new Map<string, V | typeof REDACTED>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    masked.set(name, SENSITIVE_NAME.test(name) || containsAny(value, secrets) ? REDACTED : value);
  }
  return Object.fromEntries(masked);
}

/** Drops hop-by-hop headers, including those the `Connection` header names; undefined values are dropped. */
export function stripHopByHop<V extends HeaderValue>(
  headers: Readonly<Record<string, V | undefined>>,
): Record<string, V> {
  const listed = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'connection' || value === undefined) continue;
    for (const token of [value].flat().join(',').split(',')) listed.add(token.trim().toLowerCase());
  }
  const kept = new Map<string, V>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value !== undefined && !HOP_BY_HOP.has(lower) && !listed.has(lower)) kept.set(name, value);
  }
  return Object.fromEntries(kept);
}
