/**
 * The forms a secret takes in text that a remote side sends back: an API or a token endpoint that echoes a request
 * echoes it as it received it, so a token we put in a query string or a form body comes back percent-encoded, and
 * one inside a JSON string comes back escaped. Redacting only the clear value would let those forms through.
 */

/** Characters that every form below leaves as they are: a secret made only of them has one form. */
const SAME_IN_EVERY_FORM = /^[\w.-]*$/;
const LONE_SURROGATE = /\p{Cs}/gu;

/**
 * `secret` as is, percent-encoded (`encodeURIComponent`: URL templates; with `+` for spaces: what many form
 * encoders write), form-urlencoded as `URLSearchParams` writes it (query defaults, form bodies) and JSON-escaped;
 * each once, longest first.
 */
export function secretForms(secret: string): string[] {
  if (SAME_IN_EVERY_FORM.test(secret)) return [secret];
  // A lone surrogate is sent as U+FFFD (what URLSearchParams writes); encodeURIComponent would throw on it.
  const percent = encodeURIComponent(secret.replace(LONE_SURROGATE, '\uFFFD'));
  const forms = new Set([
    secret,
    percent,
    percent.replaceAll('%20', '+'),
    new URLSearchParams([['', secret]]).toString().slice(1),
    JSON.stringify(secret).slice(1, -1),
  ]);
  return [...forms].sort((a, b) => b.length - a.length);
}

/** True when `value` holds any of `forms` (as `secretForms` lists them) anywhere in it. */
export function holdsSecret(value: string, forms: readonly string[]): boolean {
  return forms.some((form) => form !== '' && value.includes(form));
}
