/**
 * Places: what a sealed value was sealed for. The at-rest ring binds the place into the cipher's additional data, so a
 * value copied into another field, another connector's job or another connection's row does not open there
 * (`invalid_sealed_value`) instead of being sent somewhere it was never meant for.
 *
 * A place is a JSON array, so that no connector key, field key or id can make two places read the same.
 */

declare const brand: unique symbol;
export type Place = string & { readonly [brand]: 'place' };

/** Text JSON writes as it is between quotes: no quote, backslash, control character or surrogate to escape. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are among those JSON escapes.
const VERBATIM_IN_JSON = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** A part as JSON writes it, quotes included; built directly in the common case, which a cache miss meets several times. */
const quoted = (part: string) => (VERBATIM_IN_JSON.test(part) ? `"${part}"` : JSON.stringify(part));

/** A field of a `connect` job's data, for a connector. */
export const jobFieldPlace = (connector: string, field: string) =>
  `["job",${quoted(connector)},${quoted(field)}]` as Place;

/** A secret field stored on a connection. */
export const secretPlace = (connectionId: string, field: string) =>
  `["connection",${quoted(connectionId)},"field",${quoted(field)}]` as Place;

export type TokenKind = 'access_token' | 'refresh_token';

/** A token stored on a connection. */
export const tokenPlace = (connectionId: string, kind: TokenKind) =>
  `["connection",${quoted(connectionId)},"${kind}"]` as Place;
