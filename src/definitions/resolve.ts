/**
 * The one place that knows the documented defaults of a connector definition. Other code reads a
 * `ResolvedConnector` and never repeats a default such as `?? 'basic'`.
 */
import type { HttpMethod } from '../domain/use-cases.js';
import type {
  ASSERTION_ALGORITHMS,
  ClientAuthMethod,
  ConnectorDefinition,
  FieldDefinition,
  TOKEN_FORMATS,
} from './schema.js';

export interface ResolvedField extends FieldDefinition {
  required: boolean;
  multiline: boolean;
}

export interface ResolvedTokenResponse {
  accessToken: string;
  tokenType: string;
  expiresIn: string;
  expiresInUnit: 'seconds' | 'milliseconds';
  /** No default: absolute expiry is read only when a path is given. */
  expiresAt: string | undefined;
  refreshToken: string;
  scope: string;
}

export interface ResolvedToken {
  url: string;
  /** null: send no grant_type. */
  grantType: string | null;
  clientAuth: ClientAuthMethod;
  format: (typeof TOKEN_FORMATS)[number];
  scopes: string[];
  scopeSeparator: string;
  params: Record<string, string | string[]>;
  headers: Record<string, string>;
  response: ResolvedTokenResponse;
  /** null: tokens without an expiry never expire. */
  defaultLifetimeSeconds: number | null;
  privateKey: string;
  /** undefined: the rendered token URL (it is a rendered URL, not a template, so it cannot be filled in here). */
  assertionAudience: string | undefined;
  assertionAlgorithm: (typeof ASSERTION_ALGORITHMS)[number];
  assertionKeyId: string | undefined;
  clientCertificate: string;
  clientPrivateKey: string;
}

export interface ResolvedTest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export interface ResolvedRateLimit {
  requests: number;
  perSeconds: number;
  /** `connection`, `connector`, or a template over the connection's values. */
  scope: string;
}

export interface ResolvedConnector {
  key: string;
  name: string;
  description: string | undefined;
  docsUrl: string | undefined;
  fields: ResolvedField[];
  token: ResolvedToken;
  refresh: { url: string } | undefined;
  revoke: { url: string; tokenTypeHint: 'access_token' | 'refresh_token' } | undefined;
  test: ResolvedTest | undefined;
  connectionName: string;
  uniqueIdentifier: string;
  allowedUrls: string[];
  requestDefaults: { headers: Record<string, string>; query: Record<string, string>; body: Record<string, unknown> };
  renewal: { marginSeconds: number; marginRatio: number };
  expiredWhen: { status: number[]; body: { path: string; equals: Array<string | number> } | undefined };
  rateLimits: ResolvedRateLimit[];
  /** undefined: no limit. */
  concurrency: number | undefined;
}

export const DEFAULT_UNIQUE_IDENTIFIER = '{{client_id}}';
export const DEFAULT_PRIVATE_KEY = '{{private_key}}';
export const DEFAULT_CLIENT_CERTIFICATE = '{{client_certificate}}';
export const DEFAULT_CLIENT_PRIVATE_KEY = '{{client_private_key}}';
export const DEFAULT_AUTHORIZATION_HEADER = 'Bearer {{access_token}}';

function resolveToken(token: ConnectorDefinition['token']): ResolvedToken {
  const response = token.response ?? {};
  return {
    url: token.url,
    grantType: token.grantType === undefined ? 'client_credentials' : token.grantType,
    clientAuth: token.clientAuth ?? 'basic',
    format: token.format ?? 'form',
    scopes: token.scopes ?? [],
    scopeSeparator: token.scopeSeparator ?? ' ',
    params: token.params ?? {},
    headers: token.headers ?? {},
    response: {
      accessToken: response.accessToken ?? 'access_token',
      tokenType: response.tokenType ?? 'token_type',
      expiresIn: response.expiresIn ?? 'expires_in',
      expiresInUnit: response.expiresInUnit ?? 'seconds',
      expiresAt: response.expiresAt,
      refreshToken: response.refreshToken ?? 'refresh_token',
      scope: response.scope ?? 'scope',
    },
    defaultLifetimeSeconds: token.defaultLifetimeSeconds === undefined ? 3600 : token.defaultLifetimeSeconds,
    privateKey: token.privateKey ?? DEFAULT_PRIVATE_KEY,
    assertionAudience: token.assertionAudience,
    assertionAlgorithm: token.assertionAlgorithm ?? 'RS256',
    assertionKeyId: token.assertionKeyId,
    clientCertificate: token.clientCertificate ?? DEFAULT_CLIENT_CERTIFICATE,
    clientPrivateKey: token.clientPrivateKey ?? DEFAULT_CLIENT_PRIVATE_KEY,
  };
}

function resolveRequestDefaults(
  defaults: ConnectorDefinition['requestDefaults'],
): ResolvedConnector['requestDefaults'] {
  if (defaults === undefined) {
    return { headers: { Authorization: DEFAULT_AUTHORIZATION_HEADER }, query: {}, body: {} };
  }
  return { headers: defaults.headers ?? {}, query: defaults.query ?? {}, body: defaults.body ?? {} };
}

const resolved = new WeakMap<ConnectorDefinition, ResolvedConnector>();

/**
 * Fills every optional part of a (validated) definition with its documented default. Cached per definition object:
 * treat definitions as immutable.
 */
export function resolveConnector(def: ConnectorDefinition): ResolvedConnector {
  const cached = resolved.get(def);
  if (cached !== undefined) return cached;
  const uniqueIdentifier = def.uniqueIdentifier ?? DEFAULT_UNIQUE_IDENTIFIER;
  const result: ResolvedConnector = {
    key: def.key,
    name: def.name,
    description: def.description,
    docsUrl: def.docsUrl,
    fields: def.fields.map((field) => ({
      ...field,
      required: field.required ?? false,
      multiline: field.multiline ?? false,
    })),
    token: resolveToken(def.token),
    refresh: def.refresh && { url: def.refresh.url },
    revoke: def.revoke && { url: def.revoke.url, tokenTypeHint: def.revoke.tokenTypeHint ?? 'access_token' },
    test: def.test && {
      method: def.test.method ?? 'GET',
      url: def.test.url,
      headers: def.test.headers ?? {},
      query: def.test.query ?? {},
      body: def.test.body,
    },
    connectionName: def.connectionName ?? `${def.name} ${uniqueIdentifier}`,
    uniqueIdentifier,
    allowedUrls: def.allowedUrls,
    requestDefaults: resolveRequestDefaults(def.requestDefaults),
    renewal: { marginSeconds: def.renewal?.marginSeconds ?? 300, marginRatio: def.renewal?.marginRatio ?? 0.5 },
    expiredWhen: { status: def.expiredWhen?.status ?? [401], body: def.expiredWhen?.body },
    rateLimits: (def.rateLimits ?? []).map((limit) => ({ ...limit, scope: limit.scope ?? 'connection' })),
    concurrency: def.concurrency,
  };
  resolved.set(def, result);
  return result;
}
