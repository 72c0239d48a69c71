/**
 * Template contexts: the values `{{…}}` can name. Secrets are opened here, at the last moment, and only for the
 * request being built; the context never leaves the process.
 */

import type { TemplateContext } from '../definitions/templates.js';
import type { Connection, FieldValue } from '../domain/model.js';
import type { KeyRing } from '../secrets/keyring.js';

/** Opens every sealed value of a record; clear values pass through. */
export function openAll(keys: KeyRing, values: Record<string, FieldValue>): Record<string, FieldValue> {
  const opened: Record<string, FieldValue> = {};
  for (const [key, value] of Object.entries(values)) opened[key] = keys.isSealed(value) ? keys.open(value) : value;
  return opened;
}

/** Seals every value of `values` whose key is in `secretKeys` and is not sealed yet. */
export function sealSecrets(
  keys: KeyRing,
  values: Record<string, FieldValue>,
  secretKeys: readonly string[],
): { fields: Record<string, FieldValue>; secrets: Record<string, string> } {
  const fields: Record<string, FieldValue> = {};
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (secretKeys.includes(key)) secrets[key] = keys.isSealed(value) ? value : keys.seal(String(value));
    else fields[key] = value;
  }
  return { fields, secrets };
}

/** The context of a stored connection: fields, opened secrets, token and test values. */
export function connectionContext(keys: KeyRing, connection: Connection): TemplateContext {
  return {
    fields: { ...connection.fields, ...openAll(keys, connection.secrets) },
    access_token: connection.accessToken ? keys.open(connection.accessToken) : undefined,
    token_type: connection.tokenType ?? undefined,
    token: connection.tokenMeta,
    test: connection.testValues,
  };
}

/**
 * Every clear secret a connection's context holds, used to mask answers and logs: once each, longest first, so that
 * redacting a secret that happens to be part of another (a short client secret inside a token) cannot leave the
 * rest of the other in clear.
 */
export function secretValues(context: TemplateContext, secretKeys: readonly string[]): string[] {
  const values = new Set<string>();
  for (const key of secretKeys) {
    const value = context.fields[key];
    if (typeof value === 'string' && value !== '') values.add(value);
  }
  if (context.access_token) values.add(context.access_token);
  return [...values].sort((a, b) => b.length - a.length);
}
