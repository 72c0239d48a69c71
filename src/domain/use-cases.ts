/**
 * What each use case takes and returns. The queue's job schemas (`queue/schemas.ts`) parse job data into these
 * commands, and the job results are these results, so the domain never depends on the queue.
 */
import type { FieldValue } from './model.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Who asks: every command names the tenant it acts for; another tenant's connection is "not found". */
interface OwnedCommand {
  owner: string;
}

interface ConnectionCommand extends OwnedCommand {
  connectionId: string;
}

export interface ConnectCommand extends OwnedCommand {
  /** Key of a stored connector definition. */
  connector: string;
  /** Values for the connector's fields; secret ones sealed. */
  fields: Record<string, FieldValue>;
  /** Overrides the name computed from the connector's `connectionName` template. */
  name?: string | undefined;
}

export type TestCommand = ConnectionCommand;

export interface RefreshCommand extends ConnectionCommand {
  /** Renew even when the token is not yet due. @default false */
  force?: boolean | undefined;
}

export type RevokeCommand = ConnectionCommand;

export interface CallCommand extends ConnectionCommand {
  /** @default "GET" */
  method?: HttpMethod | undefined;
  /** Absolute, or relative to the connection's first allowed URL. */
  url: string;
  headers?: Record<string, string> | undefined;
  query?: Record<string, FieldValue | FieldValue[]> | undefined;
  /** JSON value, or a string sent as is. */
  body?: unknown;
  /** Overall time budget of the request. */
  timeoutMs?: number | undefined;
}

export interface ConnectResult {
  connectionId: string;
  created: boolean;
  name: string;
  uniqueId: string;
  status: 'active';
  /** ISO 8601, or null when the token does not expire. */
  expiresAt: string | null;
}

export interface TestResult {
  connectionId: string;
  ok: boolean;
  /** HTTP status of the test API, or null when none answered. */
  status: number | null;
  error?: string;
}

export interface RefreshResult {
  connectionId: string;
  expiresAt: string | null;
  renewed: boolean;
}

export interface RevokeResult {
  connectionId: string;
  status: 'revoked';
  /** true: the provider revoked it; false: it could not (see reason); null: no revoke URL configured. */
  providerRevoked: boolean | null;
  reason?: string;
}

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON, text, or `{ base64, contentType }` for binary answers; null when empty. */
  body: unknown;
}
