/**
 * Shapes a response body for a job's return value, which must be JSON-serialisable, with no secret left in it.
 */
import { REDACTED, setOwn } from './headers.js';

/** A body that is neither JSON nor text, kept losslessly. */
export interface BinaryBody {
  base64: string;
  contentType: string;
}

/** What RFC 9110 §8.3 lets a recipient assume when the Content-Type header is missing. */
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

const TEXT_TYPES = new Set([
  'application/xml',
  'application/x-www-form-urlencoded',
  'application/javascript',
  'application/ecmascript',
]);

function mediaType(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

function isJson(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

function isText(type: string): boolean {
  return type.startsWith('text/') || type.endsWith('+xml') || TEXT_TYPES.has(type);
}

/** One decoder for every UTF-8 body: creating one per response shows on the call path. */
const utf8 = new TextDecoder('utf-8');

/** Decodes with the `charset` parameter when Node knows it, else UTF-8; a BOM is dropped. */
function decodeText(body: Buffer, contentType: string): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType)?.[1];
  if (!charset || /^utf-?8$/i.test(charset)) return utf8.decode(body);
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return utf8.decode(body);
  }
}

/**
 * - empty body (204, 304, HEAD, zero length): `null`, whatever the type;
 * - `application/json` and `*\/*+json`: the parsed value; malformed JSON falls back to the text, so nothing is lost;
 * - `text/*`, XML, form-urlencoded, JavaScript: the decoded text;
 * - anything else, including a missing Content-Type (no sniffing, so the shape depends only on the header):
 *   `{ base64, contentType }`.
 *
 * Every occurrence of a secret is replaced first (an upstream may echo what it received): in the decoded text for
 * JSON and text, so that a body in another charset is redacted too; in the bytes for anything else. `secrets` must
 * come longest first, as `secretValues` lists them.
 */
export function shapeResponseBody(body: Buffer, contentType: string | undefined, secrets: readonly string[]): unknown {
  if (body.length === 0) return null;
  const type = mediaType(contentType ?? '');
  if (isJson(type)) {
    // JSON is always UTF-8 (RFC 8259 §8.1), whatever charset the header claims.
    const text = redactText(utf8.decode(body), secrets);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return text;
    }
    // A string without an escape is a piece of the text, already redacted; an escape (`\u0074ok`, `a\/b`) could
    // spell a secret that only parsing puts back together.
    return text.includes('\\') && secrets.length > 0 ? redactJson(parsed, secrets) : parsed;
  }
  if (isText(type)) return redactText(decodeText(body, contentType ?? ''), secrets);
  const bytes = redactSecrets(
    body,
    secrets.map((secret) => Buffer.from(secret)),
  );
  return { base64: bytes.toString('base64'), contentType: contentType ?? DEFAULT_CONTENT_TYPE } satisfies BinaryBody;
}

/**
 * Replaces every occurrence of a secret in a text, longest secret first (see `redactSecrets`). On the call path:
 * a string search costs a fraction of a search in a Buffer, which crosses into native code for each secret.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets)
    if (secret !== '' && result.includes(secret)) result = result.replaceAll(secret, REDACTED);
  return result;
}

/**
 * Redacts every string of a parsed JSON value, keys included. Iterative: the upstream chooses the nesting depth, and
 * a recursive walk would run out of stack on a deep enough answer.
 */
function redactJson(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const container = pending.pop();
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const item: unknown = container[i];
        if (typeof item === 'string') container[i] = redactText(item, secrets);
        else if (item !== null && typeof item === 'object') pending.push(item);
      }
    } else if (container !== null && typeof container === 'object') {
      const record = container as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const item = record[key];
        const redactedKey = redactText(key, secrets);
        const redactedItem = typeof item === 'string' ? redactText(item, secrets) : item;
        if (redactedKey !== key) delete record[key];
        if (redactedKey !== key || redactedItem !== item) setOwn(record, redactedKey, redactedItem);
        if (item !== null && typeof item === 'object') pending.push(item);
      }
    }
  }
  return value;
}

/** Room for a result's status and headers (undici reads at most 16 KiB of headers; JSON may double them). */
const RESULT_OVERHEAD_BYTES = 64 * 1024;
/**
 * How much JSON can grow a body: a control character in text becomes `\u00XX` (6 bytes), an invalid UTF-8 byte
 * becomes U+FFFD (3), a JSON number such as `1e20` is spelled out (about 4.4 times with its comma).
 */
const WORST_JSON_GROWTH = 6;

/**
 * The most bytes a call's result may take stored as JSON (in its job and in its queue's event stream): a body of
 * `maxResponseBytes` grown by base64, plus status and headers. docs/OPERATIONS.md computes Redis memory from it.
 */
export function storedResultLimit(maxResponseBytes: number): number {
  return Math.ceil(maxResponseBytes / 3) * 4 + RESULT_OVERHEAD_BYTES;
}

/**
 * The size of `result` as JSON when it exceeds `limit`, else undefined. Only a body above a sixth of the limit can
 * grow past it, so only such results are serialised to measure (once more than BullMQ will).
 */
export function storedSizeOver(result: unknown, bodyBytes: number, limit: number): number | undefined {
  if (bodyBytes * WORST_JSON_GROWTH + RESULT_OVERHEAD_BYTES <= limit) return undefined;
  const size = Buffer.byteLength(JSON.stringify(result));
  return size > limit ? size : undefined;
}

const REDACTED_BYTES = Buffer.from(REDACTED);

/**
 * Replaces every occurrence of a secret in a body (an upstream may echo what it received). `secrets` must come
 * longest first (as `secretValues` lists them): once a shorter secret inside a longer one is redacted, the longer
 * one would no longer match.
 */
export function redactSecrets(body: Buffer, secrets: readonly Buffer[]): Buffer {
  let result = body;
  for (const needle of secrets) {
    if (needle.length === 0) continue;
    let at = result.indexOf(needle);
    if (at === -1) continue;
    const parts: Buffer[] = [];
    let from = 0;
    while (at !== -1) {
      parts.push(result.subarray(from, at), REDACTED_BYTES);
      from = at + needle.length;
      at = result.indexOf(needle, from);
    }
    parts.push(result.subarray(from));
    result = Buffer.concat(parts);
  }
  return result;
}
