/**
 * Allowed-URL guard: a call may only reach URLs under one of the connection's allowed URLs (SSRF defence).
 *
 * The check works on the WHATWG-parsed URL, the same parser undici uses to send, so what is checked is what is sent:
 * callers must send the returned `URL` object (or its `href`), never the original string. WHATWG already lower-cases
 * and punycodes the host, decodes IPv4 forms (`2130706433`, `0x7f.1`, `127.1` → `127.0.0.1`), drops default ports,
 * turns `\` into `/` and removes `.`/`..` segments including `%2e` forms. On top of that this module:
 * - refuses userinfo (`https://api.example.com@evil.test` is a request to `evil.test`);
 * - refuses path segments that, percent-decoded (repeatedly, for double encoding), contain `/`, `\` or NUL or are a
 *   dot segment (also with a `;param`, as in `..;/`): servers and proxies that decode them could escape the prefix;
 * - refuses ASCII control characters (tab, CR, LF, ...) in the input, which WHATWG would silently remove;
 * - compares hosts exactly: `api.example.com.` (trailing dot) is a different name from `api.example.com`;
 * - matches paths at a segment boundary: `/v1` allows `/v1` and `/v1/x` but not `/v10`; `/v1/` allows `/v1/x` only.
 */
import { AppError } from '../errors.js';
import { isLoopbackAddress } from './egress.js';

export interface AllowedUrl {
  /** Normalised form, as shown in messages. */
  readonly href: string;
  /** `https:` or `http:`. */
  readonly protocol: string;
  /** Lower-case, punycoded hostname plus `:port` when not the default port. */
  readonly host: string;
  /** Path prefix; ends with `/` when the prefix is a folder. */
  readonly path: string;
}

// Tab, CR, LF and the other C0 controls and DEL: WHATWG strips or trims some of them silently, hiding template bugs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** The URL as shown in messages: no userinfo, query or fragment (they may carry secrets). */
function describe(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * True for `localhost` and loopback addresses in any form (127.0.0.0/8, `::1`, `[::ffff:7f00:1]`, bracketed or not).
 * Expects a canonical (WHATWG) hostname.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || isLoopbackAddress(host.replace(/^\[(.*)\]$/, '$1'));
}

/** Decodes `%XX` until nothing changes, byte by byte; enough to find ASCII `/`, `\`, `.` and NUL in any encoding. */
function fullyDecode(segment: string): string {
  let current = segment;
  for (;;) {
    const next = current.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
    if (next === current) return current;
    current = next;
  }
}

/** Why a (WHATWG-normalised) path is unsafe to send, or undefined when it is safe. */
function unsafePathReason(pathname: string): string | undefined {
  // Fast path: without `%` or `;` WHATWG has already removed every dot segment and backslash.
  if (!/[%;]/.test(pathname)) return undefined;
  for (const segment of pathname.split('/')) {
    const decoded = fullyDecode(segment);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters refused.
    if (/[/\\\u0000]/.test(decoded)) return 'contains an encoded slash, backslash or NUL (%2f, %5c, %00)';
    const name = decoded.split(';', 1)[0];
    if (name === '.' || name === '..') return 'contains an encoded or parameterised dot segment (%2e%2e, ..;)';
  }
  return undefined;
}

function pathWithin(pathname: string, prefix: string): boolean {
  if (prefix.endsWith('/')) return pathname.startsWith(prefix);
  return pathname === prefix || pathname.startsWith(`${prefix}/`);
}

function compileOne(raw: string, index: number): AllowedUrl {
  const field = `allowedUrls[${index}]`;
  const fail = (rule: string) => new AppError('invalid_input', 'invalid_allowed_url', `${field} ${rule}`);
  if (CONTROL_CHARS.test(raw)) throw fail('must not contain control characters (tab, newline)');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fail('must be an absolute http(s) URL with a path prefix, such as https://api.example.com/v1/');
  }
  const shown = describe(url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail(`(${shown}) must use https`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw fail(`(${shown}) must use https: plain http is only allowed to localhost, 127.0.0.0/8 and [::1]`);
  }
  // WHATWG accepts `{`, `%` and more in hostnames: an unrendered template would otherwise compile.
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)$/.test(url.hostname)) {
    throw fail(`(${shown}) host must be a DNS name or an IP address; is a template not rendered?`);
  }
  if (url.username !== '' || url.password !== '') {
    throw fail(`(${shown}) must not contain userinfo (user:password@); put credentials in headers`);
  }
  if (url.href.includes('?') || url.href.includes('#')) {
    throw fail(`(${shown}) must not contain a query string or fragment; it is a prefix of allowed paths`);
  }
  const unsafe = unsafePathReason(url.pathname);
  if (unsafe !== undefined) throw fail(`(${shown}) path ${unsafe}`);
  return { href: url.href, protocol: url.protocol, host: url.host, path: url.pathname };
}

/** Parses and validates the allowed URLs once, so that each call's check is a few string comparisons. */
export function compileAllowedUrls(urls: string[]): AllowedUrl[] {
  if (urls.length === 0) {
    throw new AppError('invalid_input', 'invalid_allowed_url', 'allowedUrls must list at least one URL');
  }
  return urls.map(compileOne);
}

/**
 * Resolves a call URL like a browser would, relative to the FIRST allowed URL: with `https://api.example.com/v1/`,
 * `items` and `/v1/items` both give `https://api.example.com/v1/items` (but with `https://api.example.com/v1`,
 * `items` gives `/items`, as in a browser). The fragment is dropped: it is never sent. Does not check the result.
 */
export function resolveCallUrl(url: string, allowed: AllowedUrl[]): URL {
  if (CONTROL_CHARS.test(url)) {
    throw new AppError('invalid_input', 'invalid_url', 'url must not contain control characters (tab, newline)');
  }
  let resolved: URL;
  try {
    resolved = new URL(url, allowed[0]?.href);
  } catch {
    throw new AppError(
      'invalid_input',
      'invalid_url',
      'url must be an absolute http(s) URL or a reference relative to the first allowed URL',
    );
  }
  // Setting `hash` re-serialises the URL, so only when there is a fragment (even an empty one, as in `items#`).
  if (url.includes('#')) resolved.hash = '';
  return resolved;
}

/** Why `url` may not be called, or undefined when it may. */
function refusalReason(url: URL, allowed: AllowedUrl[]): string | undefined {
  if (url.username !== '' || url.password !== '') {
    return `${describe(url)} is not allowed: it contains userinfo (user:password@), which hides the real host ${url.hostname}`;
  }
  const within = allowed.some(
    (a) => a.protocol === url.protocol && a.host === url.host && pathWithin(url.pathname, a.path),
  );
  if (!within) {
    return `${describe(url)} is not within the allowed URLs: ${allowed.map((a) => a.href).join(', ')}`;
  }
  const unsafe = unsafePathReason(url.pathname);
  return unsafe === undefined ? undefined : `${describe(url)} is not allowed: its path ${unsafe}`;
}

export function isAllowed(url: URL, allowed: AllowedUrl[]): boolean {
  return refusalReason(url, allowed) === undefined;
}

/** Throws `url_not_allowed` (invalid_input) unless `url` is under one of the allowed URLs. */
export function checkAllowed(url: URL, allowed: AllowedUrl[]): void {
  const reason = refusalReason(url, allowed);
  if (reason !== undefined) throw new AppError('invalid_input', 'url_not_allowed', reason);
}
