/**
 * The one place that decides which names (JSON keys, form fields, header names, log fields) hold a secret value.
 * Logs, error excerpts, header masking, token metadata, the board and the definition linter all ask here, so they
 * cannot drift apart. Broad on purpose: hiding a harmless value is the safe mistake.
 *
 * Linear in the length of the name: it runs on names taken from remote answers too.
 */

/** Parts of a word that make it secret wherever they appear (`clientsecret`, `x-auth-token`, `privateKeyPem`). */
const SECRET_FRAGMENTS = [
  'secret',
  'passw',
  'passphrase',
  'token',
  'assertion',
  'private',
  'credential',
  'signature',
  'cookie',
  'session',
  'jwt',
  'apikey',
  'bearer',
  'sealed',
  'authoriz',
];
/** `key` names a secret when something qualifies it (`api_key`, `subscription-key`, `encryptionKeys`) … */
const KEY_WORDS = new Set(['key', 'keys']);
/** … unless the qualifier says it is an identifier (`connectorKey`, `idempotency-key`, `cache_key`). */
const NEUTRAL_KEY_QUALIFIERS = new Set([
  'cache',
  'connector',
  'dedupe',
  'deduplication',
  'field',
  'foreign',
  'idempotency',
  'job',
  'lock',
  'partition',
  'primary',
  'public',
  'queue',
  'sort',
]);
/** A last word that describes a secret rather than holding it (`token_type`, `expiresAt`, `tokenUrl`). */
const DESCRIPTIVE_LAST_WORDS = new Set(['type', 'in', 'at', 'url', 'uri', 'endpoint', 'hint', 'method', 'expires']);

const isUpper = (code: number) => code >= 65 && code <= 90;
const isLowerOrDigit = (code: number) => (code >= 97 && code <= 122) || (code >= 48 && code <= 57);

/** Lower-case words of a name: split at separators and at camelCase humps (`x-apiKey_v2` → x, api, key, v2). */
export function nameWords(name: string): string[] {
  const words: string[] = [];
  let start = -1;
  for (let i = 0; i <= name.length; i++) {
    const code = i < name.length ? name.charCodeAt(i) : -1;
    const alphanumeric = isUpper(code) || isLowerOrDigit(code);
    const hump = isUpper(code) && i > 0 && isLowerOrDigit(name.charCodeAt(i - 1));
    if (start >= 0 && (!alphanumeric || hump)) {
      words.push(name.slice(start, i).toLowerCase());
      start = -1;
    }
    if (alphanumeric && start < 0) start = i;
  }
  return words;
}

function qualifiedKey(words: readonly string[]): boolean {
  for (let i = 1; i < words.length; i++) {
    if (KEY_WORDS.has(words[i] as string) && !NEUTRAL_KEY_QUALIFIERS.has(words[i - 1] as string)) return true;
  }
  return false;
}

/** Names seen in logs and job data repeat: remember the answers, up to a bound (remote text brings new names). */
const decided = new Map<string, boolean>();
const MAX_DECIDED = 2000;

/** True when a value stored under `name` must be treated as a secret. */
export function looksSecretName(name: string): boolean {
  const known = decided.get(name);
  if (known !== undefined) return known;
  const answer = decide(nameWords(name));
  if (decided.size < MAX_DECIDED) decided.set(name, answer);
  return answer;
}

function decide(words: readonly string[]): boolean {
  if (words.length === 0) return false;
  const secret =
    words.some((word) => word === 'auth' || SECRET_FRAGMENTS.some((fragment) => word.includes(fragment))) ||
    qualifiedKey(words);
  return secret && !DESCRIPTIVE_LAST_WORDS.has(words.at(-1) as string);
}
