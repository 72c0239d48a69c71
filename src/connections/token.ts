/**
 * From a connector definition to a token: render the token endpoint's templates, ask the provider, and turn the answer
 * into what the store keeps (sealed token, expiry, renewal time).
 */
import type { ResolvedConnector } from '../definitions/resolve.js';
import { renderOptional, renderText, renderUrl, type TemplateContext } from '../definitions/templates.js';
import type { ConnectionPatch } from '../domain/model.js';
import { invalidInput } from '../errors.js';
import type { TokenEndpointSpec, TokenSet } from '../oauth/types.js';
import type { KeyRing } from '../secrets/keyring.js';
import { tokenPlace } from '../secrets/places.js';
import { secretValues } from './context.js';

const stringField = (context: TemplateContext, key: string): string | undefined => {
  const value = context.fields[key];
  return value === undefined || value === '' ? undefined : String(value);
};

/** Renders the token endpoint of `connector` for the values in `context`. */
export function tokenEndpointSpec(
  connector: ResolvedConnector,
  context: TemplateContext,
  timeoutMs: number,
): TokenEndpointSpec {
  const token = connector.token;
  const clientId = stringField(context, 'client_id');
  if (!clientId) throw invalidInput('invalid_field', 'fields.client_id: is required; give the client id of your app');
  const params: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(token.params)) {
    for (const template of Array.isArray(value) ? value : [value]) {
      const rendered = renderOptional(template, context);
      if (rendered !== undefined) params.push([name, rendered]);
    }
  }
  const scope = token.scopes
    .map((template) => renderOptional(template, context))
    .filter((value): value is string => value !== undefined)
    .join(token.scopeSeparator);
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(token.headers)) headers[name] = renderText(template, context);
  return {
    url: renderUrl(token.url, context),
    grantType: token.grantType,
    clientAuth: token.clientAuth,
    format: token.format,
    scope: scope === '' ? undefined : scope,
    params,
    headers,
    credentials: {
      clientId,
      clientSecret: stringField(context, 'client_secret'),
      privateKeyPem: token.clientAuth === 'private_key_jwt' ? renderText(token.privateKey, context) : undefined,
      certificatePem: token.clientAuth === 'tls_client_auth' ? renderText(token.clientCertificate, context) : undefined,
      certificateKeyPem:
        token.clientAuth === 'tls_client_auth' ? renderText(token.clientPrivateKey, context) : undefined,
    },
    assertion:
      token.clientAuth === 'private_key_jwt'
        ? {
            audience: token.assertionAudience ? renderText(token.assertionAudience, context) : undefined,
            algorithm: token.assertionAlgorithm,
            keyId: token.assertionKeyId ? renderText(token.assertionKeyId, context) : undefined,
          }
        : undefined,
    response: token.response,
    defaultLifetimeSeconds: token.defaultLifetimeSeconds,
    timeoutMs,
    knownSecrets: secretValues(
      context,
      connector.fields.filter((field) => field.type === 'secret').map((field) => field.key),
    ),
  };
}

/**
 * When to renew: expiry − min(marginSeconds, marginRatio × lifetime). A fixed margin alone breaks short-lived tokens
 * and a ratio alone renews long-lived ones far too early.
 */
export function renewalTime(
  expiresAt: Date | null,
  issuedAt: Date,
  renewal: { marginSeconds: number; marginRatio: number },
): Date | null {
  if (!expiresAt) return null;
  const lifetimeMs = Math.max(0, expiresAt.getTime() - issuedAt.getTime());
  const marginMs = Math.min(renewal.marginSeconds * 1000, renewal.marginRatio * lifetimeMs);
  return new Date(expiresAt.getTime() - marginMs);
}

/** What the store keeps of a new token. A refresh token is kept unless the provider issued a new one. */
export function tokenPatch(
  keys: KeyRing,
  connectionId: string,
  tokens: TokenSet,
  connector: ResolvedConnector,
  issuedAt: Date,
  previousRefreshToken: string | null = null,
): ConnectionPatch {
  return {
    accessToken: keys.seal(tokens.accessToken, tokenPlace(connectionId, 'access_token')),
    refreshToken: tokens.refreshToken
      ? keys.seal(tokens.refreshToken, tokenPlace(connectionId, 'refresh_token'))
      : previousRefreshToken,
    tokenType: tokens.tokenType,
    scopes: tokens.scopes ?? [],
    tokenMeta: tokens.meta,
    expiresAt: tokens.expiresAt,
    renewAt: renewalTime(tokens.expiresAt, issuedAt, connector.renewal),
  };
}

/**
 * Who asks whether a token is due. The scheduled renewal (`renewal`) renews at `renewAt`; a caller about to use the
 * token (`use`) steps in only halfway between `renewAt` and expiry, when the scheduled renewal is late. Otherwise
 * calls that happen to land at `renewAt` would race the renewal job and do its work.
 */
export type DueFor = 'renewal' | 'use';

/**
 * A token is due when there is none, or its renewal time (for `use`, halfway from it to expiry) has come at `now`
 * (ms since the epoch). Tokens without expiry are never due by time: `renewAt` is derived from the expiry.
 */
export function isTokenDue(
  connection: { accessToken: string | null; renewAt: Date | null; expiresAt: Date | null },
  now = Date.now(),
  dueFor: DueFor = 'renewal',
): boolean {
  if (!connection.accessToken) return true;
  const { renewAt, expiresAt } = connection;
  if (!expiresAt) return false;
  const renewalAt = (renewAt ?? expiresAt).getTime();
  const dueAt = dueFor === 'use' ? (renewalAt + expiresAt.getTime()) / 2 : renewalAt;
  return dueAt <= now;
}
