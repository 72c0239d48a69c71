/**
 * Client authentication (RFC 6749 §2.3, RFC 7523, RFC 8705). Each method puts the credentials in exactly one
 * place: never in two (§2.3), never in the URL.
 */

import { invalidInput } from '../errors.js';
import type { ClientCertificate } from '../http/dispatcher.js';
import { createClientAssertion } from './assertion.js';
import type { ClientAuthSpec, ClientCredentials } from './types.js';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** What client authentication adds to a request. */
export interface ClientAuthentication {
  /** Lower-case header names. */
  headers: Record<string, string>;
  params: Array<[string, string]>;
  tls?: ClientCertificate;
}

/**
 * application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B): space becomes `+`, and of the
 * characters encodeURIComponent leaves alone, `!'()*` are percent-encoded too, leaving only letters, digits and
 * `-._~`, the unreserved set. This is not byte for byte what WHATWG's serializer (URLSearchParams) writes: it keeps
 * `*` and encodes `~`. Any form decoder reads both the same.
 */
export function formUrlEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function basicAuthorization(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

type CredentialField = 'client_id' | 'client_secret' | 'private_key' | 'client_certificate' | 'client_private_key';

function required(
  credentials: ClientCredentials,
  key: keyof ClientCredentials,
  method: string,
  field: CredentialField,
): string {
  const value = credentials[key];
  if (!value) {
    throw invalidInput(
      `missing_${field}` as const,
      `${field}: required for client authentication '${method}'; fill it in`,
    );
  }
  return value;
}

/**
 * @param audience `aud` of a private_key_jwt assertion, unless `spec.assertion.audience` names one.
 */
export async function applyClientAuthentication(
  spec: ClientAuthSpec,
  audience: string,
  now?: Date,
): Promise<ClientAuthentication> {
  const { credentials, clientAuth } = spec;
  const clientId = required(credentials, 'clientId', clientAuth, 'client_id');
  switch (clientAuth) {
    case 'basic': {
      const secret = required(credentials, 'clientSecret', clientAuth, 'client_secret');
      return {
        headers: { authorization: basicAuthorization(formUrlEncode(clientId), formUrlEncode(secret)) },
        params: [],
      };
    }
    case 'basic_raw': {
      const secret = required(credentials, 'clientSecret', clientAuth, 'client_secret');
      return { headers: { authorization: basicAuthorization(clientId, secret) }, params: [] };
    }
    case 'body': {
      const secret = required(credentials, 'clientSecret', clientAuth, 'client_secret');
      return {
        headers: {},
        params: [
          ['client_id', clientId],
          ['client_secret', secret],
        ],
      };
    }
    case 'private_key_jwt': {
      const assertion = await createClientAssertion({
        clientId,
        audience: spec.assertion?.audience || audience,
        privateKeyPem: required(credentials, 'privateKeyPem', clientAuth, 'private_key'),
        algorithm: spec.assertion?.algorithm ?? 'RS256',
        keyId: spec.assertion?.keyId,
        now,
      });
      return {
        headers: {},
        params: [
          ['client_id', clientId],
          ['client_assertion_type', JWT_BEARER_ASSERTION_TYPE],
          ['client_assertion', assertion],
        ],
      };
    }
    case 'tls_client_auth':
      return {
        headers: {},
        params: [['client_id', clientId]],
        tls: {
          cert: required(credentials, 'certificatePem', clientAuth, 'client_certificate'),
          key: required(credentials, 'certificateKeyPem', clientAuth, 'client_private_key'),
        },
      };
  }
}
