/**
 * Places: what a sealed value was sealed for. The at-rest ring binds the place into the AES-GCM additional data, so a
 * value copied into another field, another connector's job or another connection's row does not open there
 * (`invalid_sealed_value`) instead of being sent somewhere it was never meant for.
 *
 * A place is a JSON array, so that no connector key, field key or id can make two places read the same.
 */

declare const brand: unique symbol;
export type Place = string & { readonly [brand]: 'place' };

/** A field of a `connect` job's data, for a connector. */
export const jobFieldPlace = (connector: string, field: string) => JSON.stringify(['job', connector, field]) as Place;

/** A secret field stored on a connection. */
export const secretPlace = (connectionId: string, field: string) =>
  JSON.stringify(['connection', connectionId, 'field', field]) as Place;

export type TokenKind = 'access_token' | 'refresh_token';

/** A token stored on a connection. */
export const tokenPlace = (connectionId: string, kind: TokenKind) =>
  JSON.stringify(['connection', connectionId, kind]) as Place;
