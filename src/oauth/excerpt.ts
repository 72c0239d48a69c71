/**
 * Short, printable, secret-free excerpts of remote answers, for error messages (which end up in Redis and on
 * Bull Board). Anything that looks like a token or a secret is replaced by `[redacted]`.
 */

const REDACTED = '[redacted]';

/** Names of fields whose values are secret. */
export const SECRET_KEY =
  /token|secret|password|passwd|assertion|private|credential|signature|jwt|api[-_]?key|session/i;
/** Field names that contain a secret-looking word but hold no secret. */
const HARMLESS_KEY = /^token[-_]?type$|expires|_in$|_at$|_url$/i;

export function looksSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !HARMLESS_KEY.test(key);
}

/**
 * @param max Longest excerpt in characters. @default 200
 * @param secrets Known secret values to remove as well (a server may echo the client secret).
 */
export function excerpt(body: Buffer | string, max = 200, secrets: readonly string[] = []): string {
  let text = typeof body === 'string' ? body : body.subarray(0, 64 * 1024).toString('utf8');
  if (/<[a-z!/][^>]*>/i.test(text)) text = stripHtml(text);
  return truncate(redact(text, secrets), max);
}

function stripHtml(html: string): string {
  return html
    .replace(/<(script|style|head)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&amp;/gi, '&');
}

export function redact(text: string, secrets: readonly string[] = []): string {
  let result = text;
  for (const secret of secrets) if (secret.length >= 4) result = result.split(secret).join(REDACTED);
  return (
    result
      // "access_token": "…", client_secret=…, Authorization: Bearer …
      .replace(
        /(["']?)([\w-]+)\1(\s*[:=]\s*)(["']?)([^"'&,\s}]+)\4/g,
        (match, quote: string, key: string, separator: string, valueQuote: string) =>
          looksSecretKey(key) ? `${quote}${key}${quote}${separator}${valueQuote}${REDACTED}${valueQuote}` : match,
      )
      .replace(/\b(Bearer|Basic|DPoP)\s+[\w\-.~+/]+=*/gi, `$1 ${REDACTED}`)
      // JWTs, then long opaque runs mixing letters and digits (tokens, keys, hashes).
      .replace(/\beyJ[\w-]*\.[\w-]*\.?[\w-]*/g, REDACTED)
      .replace(/[\w\-+/=]{20,}/g, (run) => (/\d/.test(run) && /[a-z]/i.test(run) ? REDACTED : run))
      // Control characters and other non-printables out, whitespace folded.
      .replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cn}]+/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  );
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${Array.from(text)
    .slice(0, max - 1)
    .join('')}…`;
}
