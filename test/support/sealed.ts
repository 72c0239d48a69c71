/**
 * Sealed values for tests that write connections straight to the store: bound to the connection as connect binds
 * them, or in the earlier, unbound format that stores written before binding still hold.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { openSecrets, openToken } from '../../src/connections/context.js';
import type { Connection } from '../../src/domain/model.js';
import type { KeyRing } from '../../src/secrets/keyring.js';
import { secretPlace, tokenPlace } from '../../src/secrets/places.js';

export interface ClearValues {
  secrets?: Record<string, string>;
  accessToken?: string | null;
  refreshToken?: string | null;
}

/** The `bind` of `store.connections.upsert` that seals `clear` for the connection's id, as connect does. */
export function sealedFor(keys: KeyRing, clear: ClearValues) {
  return (id: string) => ({
    secrets: Object.fromEntries(
      Object.entries(clear.secrets ?? {}).map(([key, value]) => [key, keys.seal(value, secretPlace(id, key))]),
    ),
    accessToken: clear.accessToken ? keys.seal(clear.accessToken, tokenPlace(id, 'access_token')) : null,
    refreshToken: clear.refreshToken ? keys.seal(clear.refreshToken, tokenPlace(id, 'refresh_token')) : null,
  });
}

/** `text` sealed in the earlier format, `sealed:v1:<id>:…`, with the ENCRYPTION_KEYS entry `keySpec`. */
export function sealLegacy(keySpec: string, text: string): string {
  const [id, key] = keySpec.split(':') as [string, string];
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), nonce, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(`sealed:v1:${id}`));
  const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `sealed:v1:${id}:${nonce.toString('base64url')}:${body.toString('base64url')}`;
}

/** Every sealed value of a connection opened for its place: the secrets, then the tokens it holds. */
export function openedValues(keys: KeyRing, connection: Connection): string[] {
  const tokens = [openToken(keys, connection, 'access_token'), openToken(keys, connection, 'refresh_token')];
  return [...Object.values(openSecrets(keys, connection)), ...tokens.filter((t): t is string => t !== null)];
}
