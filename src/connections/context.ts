/**
 * Template contexts: the values `{{…}}` can name. Secrets are opened here, at the last moment, and only for the
 * request being built; the context never leaves the process.
 */

import type { TemplateContext } from '../definitions/templates.js';
import type { Connection, FieldValue } from '../domain/model.js';
import { secretForms } from '../domain/secret-forms.js';
import { setOwn } from '../http/headers.js';
import type { KeyRing } from '../secrets/keyring.js';
import { secretPlace, tokenPlace } from '../secrets/places.js';

/** Clear field values split into the connector's secret ones and the rest. */
export function splitSecrets(
  values: Record<string, FieldValue>,
  secretKeys: readonly string[],
): { fields: Record<string, FieldValue>; secrets: Record<string, string> } {
  const fields: Record<string, FieldValue> = {};
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (secretKeys.includes(key)) secrets[key] = String(value);
    else fields[key] = value;
  }
  return { fields, secrets };
}

/** Seals clear secrets for their fields of connection `connectionId`. */
export function sealSecrets(keys: KeyRing, connectionId: string, secrets: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(secrets).map(([key, value]) => [key, keys.seal(value, secretPlace(connectionId, key))]),
  );
}

/** Opens the stored secrets of a connection, each for its own field of that connection. */
export function openSecrets(keys: KeyRing, connection: Connection): Record<string, string> {
  // A loop, not entries mapped into fromEntries: a cache miss runs this for every call.
  const opened: Record<string, string> = {};
  for (const key in connection.secrets) {
    if (Object.hasOwn(connection.secrets, key)) {
      setOwn(opened, key, keys.open(connection.secrets[key] as string, secretPlace(connection.id, key)));
    }
  }
  return opened;
}

/** Opens a stored token of a connection. */
export function openToken(
  keys: KeyRing,
  connection: Connection,
  kind: 'access_token' | 'refresh_token',
): string | null {
  const sealed = kind === 'access_token' ? connection.accessToken : connection.refreshToken;
  return sealed ? keys.open(sealed, tokenPlace(connection.id, kind)) : null;
}

/** The context of a stored connection: fields, opened secrets, token and test values. */
export function connectionContext(keys: KeyRing, connection: Connection): TemplateContext {
  return {
    fields: { ...connection.fields, ...openSecrets(keys, connection) },
    access_token: openToken(keys, connection, 'access_token') ?? undefined,
    token_type: connection.tokenType ?? undefined,
    token: connection.tokenMeta,
    test: connection.testValues,
  };
}

/**
 * Every secret a connection's context holds, in every form an answer may carry it (`secretForms`: as is,
 * percent-encoded, form-urlencoded, JSON-escaped), used to mask answers and logs: once each, longest first, so that
 * redacting a secret that happens to be part of another (a short client secret inside a token) cannot leave the
 * rest of the other in clear.
 */
export function secretValues(context: TemplateContext, secretKeys: readonly string[]): string[] {
  const values = new Set<string>();
  for (const key of secretKeys) addForms(values, context.fields[key]);
  addForms(values, context.access_token);
  return [...values].sort(longestFirst);
}

function addForms(values: Set<string>, value: unknown): void {
  if (typeof value === 'string' && value !== '') for (const form of secretForms(value)) values.add(form);
}

const longestFirst = (a: string, b: string) => b.length - a.length;
