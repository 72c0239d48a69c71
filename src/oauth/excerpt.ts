/**
 * Short, printable, secret-free excerpts of remote answers, for error messages (which end up in Redis and on
 * Bull Board). Known secret values of the connection are removed, and anything that looks like a token or a secret
 * is replaced by `[redacted]`.
 *
 * The remote side chooses every byte, so the work is bounded and linear: the input is cut to a few KiB before
 * anything else, HTML is stripped by a single scan, and every regular expression below is free of nested or
 * overlapping quantifiers (each character is looked at a bounded number of times).
 */

import { secretForms } from '../domain/secret-forms.js';
import { looksSecretName } from '../domain/secret-names.js';
import { stripHtml } from './strip-html.js';

const REDACTED = '[redacted]';

/** How much of an answer an excerpt reads: enough for any useful message, little enough to stay cheap. */
export const EXCERPT_INPUT_LIMIT = 4096;
/** Secrets shorter than this would redact ordinary words. */
const MIN_SECRET_LENGTH = 4;

/** `"access_token": "…"`, `client_secret=…`: a name (starting a word), a separator, a value. */
const NAMED_VALUE = /(["']?)(?<![\w-])([\w-]+)\1(\s*[:=]\s*)(["']?)([^"'&,\s}]+)/g;
const AUTH_SCHEME_VALUE = /\b(Bearer|Basic|DPoP)\s+[\w\-.~+/]+=*/gi;
const JWT = /\beyJ[\w-]*(?:\.[\w-]*){1,2}/g;
/** Long opaque runs (tokens, keys, hashes), starting a word so each run is read once. */
const OPAQUE_RUN = /(?<![\w\-+/=])[\w\-+/=]{20,}/g;
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}]+/gu;
const SPACES = /\s+/g;

/**
 * @param max Longest excerpt in characters. @default 200
 * @param secrets Secret values of the connection (client secret, private key, tokens) to remove, in any of the
 *   forms an answer may carry them (as is, URL-encoded, JSON-escaped).
 */
export function excerpt(body: Buffer | string, max = 200, secrets: readonly string[] = []): string {
  // Secrets are removed before the cut to EXCERPT_INPUT_LIMIT, so one that straddles the cut is not left half in clear.
  const window = EXCERPT_INPUT_LIMIT + longest(secrets);
  const head = typeof body === 'string' ? body.slice(0, window) : body.subarray(0, window).toString('utf8');
  const text = removeSecrets(head, secrets).slice(0, EXCERPT_INPUT_LIMIT);
  return truncate(redact(stripHtml(text)), max);
}

function longest(secrets: readonly string[]): number {
  let length = 0;
  for (const secret of secrets) length = Math.max(length, secret.length * 3);
  return length;
}

export function removeSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of secretForms(secret)) result = result.replaceAll(form, REDACTED);
  }
  return result;
}

/** Removes `secrets`, then masks secret-looking values, non-printable characters and runs of whitespace. */
export function redact(text: string, secrets: readonly string[] = []): string {
  return removeSecrets(text, secrets)
    .replace(NAMED_VALUE, (match, quote: string, key: string, separator: string, valueQuote: string) =>
      looksSecretName(key) ? `${quote}${key}${quote}${separator}${valueQuote}${REDACTED}` : match,
    )
    .replace(AUTH_SCHEME_VALUE, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(OPAQUE_RUN, (run) => (/\d/.test(run) && /[a-z]/i.test(run) ? REDACTED : run))
    .replace(NON_PRINTABLE, ' ')
    .replace(SPACES, ' ')
    .trim();
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${Array.from(text.slice(0, max * 2))
    .slice(0, max - 1)
    .join('')}…`;
}
