/**
 * Heuristics for credentials pasted into a definition as static text. Definitions are shared, so a credential
 * belongs in a secret field; a match is only a warning because the heuristics can be wrong.
 */
import { looksSecretName } from '../domain/secret-names.js';

const AUTH_SCHEME_WITH_VALUE = /\b(?:bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}/i;
const MIN_TOKEN_LENGTH = 24;
const MIN_ENTROPY_BITS_PER_CHAR = 3.5;

function entropyPerChar(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** A long, random-looking word with letters and digits, such as an API key or a JWT. */
function looksRandom(word: string): boolean {
  return (
    word.length >= MIN_TOKEN_LENGTH &&
    !word.includes('://') &&
    /[A-Za-z]/.test(word) &&
    /\d/.test(word) &&
    entropyPerChar(word) >= MIN_ENTROPY_BITS_PER_CHAR
  );
}

/**
 * Why `text` (static text, template variables removed) looks like a credential, or undefined. `name` is the
 * parameter or header name it is the value of, if any.
 */
export function credentialHint(text: string, name?: string): string | undefined {
  if (AUTH_SCHEME_WITH_VALUE.test(text)) return 'contains a literal credential after an auth scheme';
  if (text.split(/[\s,;&"']+/).some(looksRandom)) return 'contains a long random-looking value';
  if (name !== undefined && looksSecretName(name) && text.trim() !== '') return `is a static value for ${name}`;
  return undefined;
}
