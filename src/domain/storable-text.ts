/**
 * Text every store keeps as it was given. PostgreSQL refuses U+0000 in `text` and `jsonb`, and a lone surrogate
 * (half of a UTF-16 pair, which JSON can spell as `\ud800`) in `jsonb`, while UTF-8 encoders elsewhere turn it into
 * U+FFFD; MongoDB would keep or change both silently. So such text is refused up front, alike for both stores, and
 * before a lone surrogate reaches an encoder that throws on it (`encodeURIComponent`).
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters refused.
const UNSTORABLE = /\u0000|\p{Cs}/u;

/** What makes `value` unstorable, as a phrase naming the character and the fix; undefined when it is fine. */
export function unstorableText(value: string): string | undefined {
  const found = UNSTORABLE.exec(value)?.[0];
  if (found === undefined) return undefined;
  return found === '\u0000'
    ? 'must not contain the NUL character (\\u0000); remove it'
    : 'must not contain a lone surrogate (half of a UTF-16 pair, \\ud800-\\udfff); send well-formed Unicode';
}
