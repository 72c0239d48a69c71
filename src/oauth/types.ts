/**
 * Shapes shared by the protocol functions. Everything here is already rendered from the connector definition's
 * templates by the caller: the protocol layer never sees templates, storage or queues.
 */
import type { ClientAuthMethod } from '../definitions/schema.js';

export type { ClientAuthMethod };

/** Opened secrets, handed over at the last moment by the function that sends them. */
export interface ClientCredentials {
  clientId: string;
  /** basic, basic_raw, body. */
  clientSecret?: string;
  /** private_key_jwt: PEM private key (PKCS#8, PKCS#1 or SEC1). */
  privateKeyPem?: string;
  /** tls_client_auth: PEM client certificate. */
  certificatePem?: string;
  /** tls_client_auth: PEM private key of the certificate. */
  certificateKeyPem?: string;
}

/** private_key_jwt assertion settings. */
export interface AssertionSpec {
  /** `aud` claim. @default the URL the assertion is sent to, without its query */
  audience?: string;
  /** JWS algorithm, such as RS256 or ES256. */
  algorithm: string;
  /** `kid` header, when the provider wants one. */
  keyId?: string;
}

/** Where the token endpoint's answer keeps each value: dot paths such as `data.token`. */
export interface TokenResponseSpec {
  accessToken: string;
  tokenType: string;
  expiresIn: string;
  expiresInUnit: 'seconds' | 'milliseconds';
  /** Absolute expiry (ISO 8601, or epoch seconds or milliseconds); wins over `expiresIn` when present. */
  expiresAt?: string;
  refreshToken: string;
  scope: string;
}

export interface TokenEndpointSpec {
  url: string;
  /** `null` sends no grant_type (the token URL already carries it). */
  grantType: string | null;
  clientAuth: ClientAuthMethod;
  format: 'form' | 'json' | 'query';
  /** Already joined with the separator; omitted when empty. */
  scope?: string;
  /** Extra parameters; repeated names allowed (RFC 8707 `resource`). */
  params: Array<[string, string]>;
  headers: Record<string, string>;
  credentials: ClientCredentials;
  assertion?: AssertionSpec;
  response: TokenResponseSpec;
  /** Lifetime assumed when the answer has no expiry; `null`: such tokens never expire. */
  defaultLifetimeSeconds: number | null;
  /** @default 30000 */
  timeoutMs?: number;
  /**
   * Other secret values of the connection (its current access and refresh tokens): never sent by this request, but
   * a hostile endpoint may echo them, so error messages scrub them as they scrub the credentials.
   */
  knownSecrets?: readonly string[];
}

export interface TokenSet {
  accessToken: string;
  tokenType: string | null;
  expiresAt: Date | null;
  refreshToken: string | null;
  scopes: string[] | null;
  /** Non-secret extra fields of the answer (such as instance_url, scope, token_type, api_domain). */
  meta: Record<string, unknown>;
}

/** The client authentication a request needs: what to send, and how. */
export type ClientAuthSpec = Pick<TokenEndpointSpec, 'clientAuth' | 'credentials' | 'assertion'>;

export type RevocationOutcome = { revoked: true } | { revoked: false; reason: 'unsupported_token_type' };
