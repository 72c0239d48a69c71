/**
 * Header helpers for the call path: validation of rendered request headers, merging of header layers, and the
 * shaping of response headers returned to callers and written to logs.
 */

import { looksSecretName } from '../domain/secret-names.js';
import { AppError } from '../errors.js';

/** A header value as undici returns it: `set-cookie` comes as an array. */
export type HeaderValue = string | string[];

export const REDACTED = '[redacted]';

/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** CR and LF split a header (request smuggling, header injection); NUL truncates it in some servers. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE_VALUE = /[\r\n\u0000]/;
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
 * Headers that describe the message or the connection rather than the request: the transport sets them from the
 * request itself. Set by a caller or a definition they would send the request to another virtual host, or split or
 * smuggle it (`content-length`, `transfer-encoding`), or steer a proxy.
 */
export function isTransportHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'host' || lower === 'content-length' || lower.startsWith('proxy-') || HOP_BY_HOP.has(lower);
}

/**
 * Throws `invalid_header` (invalid_input) when `name` is not a token or is a transport header (`isTransportHeader`),
 * or when `value` contains CR, LF or NUL. The message names `path` (such as `headers.X-Foo`) and never the value,
 * which may be a secret.
 */
export function assertHeaderSafe(name: string, value: string, path: string): void {
  if (!TOKEN.test(name)) {
    throw new AppError(
      'invalid_input',
      'invalid_header',
      `${path}: the header name must be a token (letters, digits, -)`,
    );
  }
  if (isTransportHeader(name)) {
    throw new AppError(
      'invalid_input',
      'invalid_header',
      `${path}: host, content-length, proxy-* and hop-by-hop headers are set by the transport; remove it`,
    );
  }
  if (UNSAFE_VALUE.test(value)) {
    throw new AppError('invalid_input', 'invalid_header', `${path}: the header value must not contain CR, LF or NUL`);
  }
}

/** Merges header layers case-insensitively; later layers win; the result's names are lower-case. */
export function mergeHeaders(...layers: Array<Record<string, string> | undefined>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const name in layer) {
      // Assigning `__proto__` on a plain object would change its prototype instead of adding a header.
      if (Object.hasOwn(layer, name)) setOwn(merged, name.toLowerCase(), layer[name] as string);
    }
  }
  return merged;
}

/** Adds an own property even for the name `__proto__`, whose assignment would set the prototype instead. */
export function setOwn<V>(target: Record<string, V>, name: string, value: V): void {
  if (name === '__proto__')
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}

function containsAny(value: HeaderValue, secrets: readonly string[]): boolean {
  if (secrets.length === 0) return false;
  if (typeof value === 'string') return secrets.some((secret) => value.includes(secret));
  return value.some((v) => secrets.some((secret) => v.includes(secret)));
}

/**
 * Replaces with `[redacted]` the value of every header whose name looks secret (`looksSecretName`: authorization,
 * cookies, tokens, keys…) or whose value contains one of `secretValues` (empty strings are ignored). Names are kept as given; undefined values are dropped.
 */
export function maskHeaders<V extends HeaderValue>(
  headers: Readonly<Record<string, V | undefined>>,
  secretValues: Iterable<string>,
): Record<string, V | typeof REDACTED> {
  const secrets = (Array.isArray(secretValues) ? secretValues : [...secretValues]).filter((secret) => secret !== '');
  const masked: Record<string, V | typeof REDACTED> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || !Object.hasOwn(headers, name)) continue;
    setOwn(masked, name, looksSecretName(name) || containsAny(value, secrets) ? REDACTED : value);
  }
  return masked;
}

/**
 * Response headers as a caller may see them, in one pass: hop-by-hop headers (and those the `Connection` header
 * names) dropped, credentials masked as by `maskHeaders`; undefined values are dropped.
 */
export function callerHeaders<V extends HeaderValue>(
  headers: Readonly<Record<string, V | undefined>>,
  secretValues: readonly string[],
): Record<string, V | typeof REDACTED> {
  let listed: Set<string> | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name.toLowerCase() !== 'connection') continue;
    listed ??= new Set();
    for (const token of (typeof value === 'string' ? value : value.join(',')).split(','))
      listed.add(token.trim().toLowerCase());
  }
  const kept: Record<string, V | typeof REDACTED> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || !Object.hasOwn(headers, name)) continue;
    const verdict = nameVerdict(name);
    if (verdict === 'hop-by-hop' || listed?.has(name.toLowerCase())) continue;
    setOwn(kept, name, verdict === 'secret' || containsAny(value, secretValues) ? REDACTED : value);
  }
  return kept;
}

/** What a response header's name alone decides. */
type NameVerdict = 'hop-by-hop' | 'secret' | 'plain';

/**
 * Verdicts of the names seen so far: answers repeat the same few header names, and deciding whether a name looks
 * secret costs more than the rest of shaping the headers. Bounded, since the names come from the upstream: past
 * the bound a name is decided afresh each time.
 */
const nameVerdicts = new Map<string, NameVerdict>();
const MAX_NAME_VERDICTS = 512;

function nameVerdict(name: string): NameVerdict {
  let verdict = nameVerdicts.get(name);
  if (verdict !== undefined) return verdict;
  verdict = HOP_BY_HOP.has(name.toLowerCase()) ? 'hop-by-hop' : looksSecretName(name) ? 'secret' : 'plain';
  if (nameVerdicts.size < MAX_NAME_VERDICTS) nameVerdicts.set(name, verdict);
  return verdict;
}
