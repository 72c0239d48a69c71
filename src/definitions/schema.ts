/**
 * The connector definition: the public, hand-written contract that describes how to connect one API with
 * OAuth 2.0 client credentials. Names here are a public contract: add, never rename.
 *
 * This file holds the shape only (zod). Cross-field rules (template variables exist, URL safety, secrets kept out of
 * URLs) live in `validate.ts`, which reports them with paths and fixes.
 */

import { z } from 'zod';
import { HTTP_METHODS } from '../domain/use-cases.js';

/** A `{{template}}` string. Templates are rendered by `templates.ts`; no code is ever evaluated. */
const template = z.string();

export const FIELD_TYPES = ['text', 'secret', 'select', 'number', 'boolean'] as const;

export const fieldSchema = z.strictObject({
  /** Variable name used in templates as `{{key}}`. Lower snake case. */
  key: z.string().regex(/^[a-z][a-z0-9_]*$/, 'use lower snake case, such as client_id'),
  /** Label shown to the user filling in the form. */
  label: z.string().min(1),
  /** `secret` values are sealed at rest and never shown again. */
  type: z.enum(FIELD_TYPES),
  /** For `text` and `secret`: the value spans lines (PEM keys and certificates). @default false */
  multiline: z.boolean().optional(),
  /** @default false */
  required: z.boolean().optional(),
  /** Used when the user leaves the field empty. */
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  /** Allowed values of a `select` field. */
  options: z.array(z.string().min(1)).min(1).optional(),
  /** A regular expression the whole value must match (text and secret fields). */
  pattern: z.string().optional(),
  /** Where the user finds the value, such as "Developer portal > Apps". */
  help: z.string().optional(),
  placeholder: z.string().optional(),
});

export const CLIENT_AUTH_METHODS = ['basic', 'basic_raw', 'body', 'private_key_jwt', 'tls_client_auth'] as const;
export const TOKEN_FORMATS = ['form', 'json', 'query'] as const;
export const ASSERTION_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
] as const;

/** Where the token endpoint's answer keeps each value (dot paths, such as `data.token`). */
export const tokenResponseSchema = z.strictObject({
  /** @default "access_token" */
  accessToken: z.string().optional(),
  /** @default "token_type" */
  tokenType: z.string().optional(),
  /** Relative lifetime. @default "expires_in" */
  expiresIn: z.string().optional(),
  /** Unit of `expiresIn`. @default "seconds" */
  expiresInUnit: z.enum(['seconds', 'milliseconds']).optional(),
  /** Absolute expiry (ISO 8601 date or epoch seconds); used when present. */
  expiresAt: z.string().optional(),
  /** @default "refresh_token" */
  refreshToken: z.string().optional(),
  /** @default "scope" */
  scope: z.string().optional(),
});

export const tokenSchema = z.strictObject({
  url: template,
  /** `null` sends no grant_type (the token URL already carries it). @default "client_credentials" */
  grantType: z.string().min(1).nullable().optional(),
  /** @default "basic" (RFC 6749 §2.3.1: id and secret form-urlencoded, then base64) */
  clientAuth: z.enum(CLIENT_AUTH_METHODS).optional(),
  /** How parameters travel. @default "form" */
  format: z.enum(TOKEN_FORMATS).optional(),
  /** @default [] */
  scopes: z.array(template).optional(),
  /** @default " " */
  scopeSeparator: z.string().optional(),
  /** Extra parameters. An array value repeats the parameter (RFC 8707 `resource`). */
  params: z.record(z.string(), z.union([template, z.array(template)])).optional(),
  headers: z.record(z.string(), template).optional(),
  response: tokenResponseSchema.optional(),
  /** Lifetime assumed when the answer has no expiry. `null`: such tokens never expire. @default 3600 */
  defaultLifetimeSeconds: z.number().int().positive().nullable().optional(),
  /** private_key_jwt: template of the PEM private key. @default "{{private_key}}" */
  privateKey: template.optional(),
  /** private_key_jwt: `aud` of the assertion. @default the token URL */
  assertionAudience: template.optional(),
  /** private_key_jwt: signing algorithm. @default "RS256" */
  assertionAlgorithm: z.enum(ASSERTION_ALGORITHMS).optional(),
  /** private_key_jwt: `kid` header, when the provider wants one. */
  assertionKeyId: template.optional(),
  /** tls_client_auth: template of the PEM certificate. @default "{{client_certificate}}" */
  clientCertificate: template.optional(),
  /** tls_client_auth: template of the PEM private key. @default "{{client_private_key}}" */
  clientPrivateKey: template.optional(),
});

export const refreshSchema = z.strictObject({
  /** Used with `grant_type=refresh_token` when a refresh token was issued. */
  url: template,
});

export const revokeSchema = z.strictObject({
  /** RFC 7009 revocation endpoint. */
  url: template,
  /** @default "access_token" */
  tokenTypeHint: z.enum(['access_token', 'refresh_token']).optional(),
});

export const testSchema = z.strictObject({
  /** @default "GET" */
  method: z.enum(HTTP_METHODS).optional(),
  url: template,
  headers: z.record(z.string(), template).optional(),
  query: z.record(z.string(), template).optional(),
  body: z.unknown().optional(),
});

export const requestDefaultsSchema = z.strictObject({
  headers: z.record(z.string(), template).optional(),
  query: z.record(z.string(), template).optional(),
  /** Merged into JSON object bodies. */
  body: z.record(z.string(), z.unknown()).optional(),
});

export const renewalSchema = z.strictObject({
  /** @default 300 */
  marginSeconds: z.number().nonnegative().optional(),
  /** @default 0.5 */
  marginRatio: z.number().min(0).max(1).optional(),
});

export const expiredWhenSchema = z.strictObject({
  /** Statuses that mean "the token is no longer valid". @default [401] */
  status: z.array(z.number().int().min(100).max(599)).optional(),
  /** For providers that answer 200 with an error code (dot path into a JSON body, and the values that mean expired). */
  body: z
    .strictObject({ path: z.string().min(1), equals: z.array(z.union([z.string(), z.number()])).min(1) })
    .optional(),
});

/** Scopes a budget can be shared in, besides a template over the connection's values. */
export const BUDGET_SCOPES = ['connection', 'connector'] as const;

/** A rate budget: at most `requests` calls in any `perSeconds` window, paced evenly. */
export const rateLimitSchema = z.strictObject({
  requests: z.number().int().positive().max(1_000_000),
  perSeconds: z.number().positive().max(86_400),
  /**
   * Who shares the budget: each `connection`, the whole `connector`, or a template over the connection's values
   * (several connections of one tenant with the same rendered value share it, such as `{{token.instance_url}}`).
   * @default "connection"
   */
  scope: z.string().min(1).optional(),
});

export const connectorDefinitionSchema = z.strictObject({
  /** Editors' schema reference; ignored. */
  $schema: z.string().optional(),
  key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use lower case letters, digits, - and _'),
  name: z.string().min(1),
  description: z.string().optional(),
  /** Where users read about the provider's credentials. */
  docsUrl: z.string().optional(),
  fields: z.array(fieldSchema).min(1),
  token: tokenSchema,
  refresh: refreshSchema.optional(),
  revoke: revokeSchema.optional(),
  test: testSchema.optional(),
  /** @default "<name> <unique identifier>" */
  connectionName: template.optional(),
  /** @default "{{client_id}}" */
  uniqueIdentifier: template.optional(),
  /** API base URLs a call may reach (absolute, with a path prefix). */
  allowedUrls: z.array(template).min(1),
  /** @default { headers: { Authorization: "Bearer {{access_token}}" } } */
  requestDefaults: requestDefaultsSchema.optional(),
  renewal: renewalSchema.optional(),
  expiredWhen: expiredWhenSchema.optional(),
  /** Rate budgets calls are paced to; all of them apply. @default [] (budgets are still learned from answers) */
  rateLimits: z.array(rateLimitSchema).max(10).optional(),
  /** Calls of one connection in flight at once, across every worker. @default no limit */
  concurrency: z.number().int().positive().max(10_000).optional(),
});

export type FieldDefinition = z.infer<typeof fieldSchema>;
export type RateLimitDefinition = z.infer<typeof rateLimitSchema>;
export type ConnectorDefinition = z.infer<typeof connectorDefinitionSchema>;
export type TokenDefinition = z.infer<typeof tokenSchema>;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];
