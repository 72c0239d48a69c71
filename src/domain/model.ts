/**
 * The domain model: connections, their states and the events that announce their changes. A leaf: it imports
 * nothing of this project, so the store port, the events, the use cases and the queue's job schemas can all speak
 * in these types without depending on one another.
 */

/** A value of a connector field as a user gives it. */
export type FieldValue = string | number | boolean;

export const CONNECTION_STATUSES = ['pending', 'active', 'error', 'revoking', 'revoked'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export interface LastTest {
  ok: boolean;
  /** HTTP status of the test API, null when no answer came. */
  status: number | null;
  error?: string;
  at: Date;
}

export interface LastError {
  code: string;
  message: string;
  at: Date;
}

export interface Connection {
  id: string;
  connector: string;
  owner: string;
  uniqueId: string;
  name: string;
  status: ConnectionStatus;
  /** Non-secret field values, in clear. */
  fields: Record<string, FieldValue>;
  /** Secret field values, sealed. */
  secrets: Record<string, string>;
  /** Sealed access token; null when none is held (revoked, or not yet fetched). */
  accessToken: string | null;
  /** Sealed refresh token, when the provider issued one. */
  refreshToken: string | null;
  tokenType: string | null;
  scopes: string[];
  /** Non-secret extra fields of the token response, for `{{token.…}}`. */
  tokenMeta: Record<string, unknown>;
  /** Values of the test response that templates use, for `{{test.…}}`. */
  testValues: Record<string, unknown>;
  expiresAt: Date | null;
  /** When the token should be renewed; null for tokens without expiry and for inactive connections. */
  renewAt: Date | null;
  lastTest: LastTest | null;
  lastError: LastError | null;
  createdAt: Date;
  updatedAt: Date;
  /** Incremented by every write; `update` compares it to prevent lost updates. */
  version: number;
}

/** What a connect writes: everything but the bookkeeping. */
export type ConnectionInput = Omit<Connection, 'id' | 'createdAt' | 'updatedAt' | 'version'>;

/** What identifies a new connection; `newConnection` fills in the rest. */
export type NewConnectionIdentity = Pick<ConnectionInput, 'connector' | 'owner' | 'uniqueId' | 'name' | 'fields'>;

/**
 * An active connection as a connect first writes it: no secrets and no token yet (the connect's patch seals them
 * bound to the id the store assigns), nothing tested unless `test` says otherwise.
 */
export function newConnection(
  identity: NewConnectionIdentity,
  test: Pick<ConnectionInput, 'testValues' | 'lastTest'> = { testValues: {}, lastTest: null },
): ConnectionInput {
  return {
    ...identity,
    status: 'active',
    secrets: {},
    accessToken: null,
    refreshToken: null,
    tokenType: null,
    scopes: [],
    tokenMeta: {},
    expiresAt: null,
    renewAt: null,
    ...test,
    lastError: null,
  };
}

/** Changeable parts of a connection. */
export type ConnectionPatch = Partial<
  Omit<Connection, 'id' | 'connector' | 'owner' | 'createdAt' | 'updatedAt' | 'version'>
>;

export interface DueConnection {
  id: string;
  owner: string;
  connector: string;
  renewAt: Date;
  /** When the last renewal failure was recorded; absent when none is. The scheduler's cooldown reads it. */
  lastErrorAt?: Date;
}

/** What an upsert found, for the events it writes (see `ConnectionStore.upsert`). */
export interface UpsertOutcome {
  created: boolean;
  /** The connection's id: the existing one, or the one the insert gives it. */
  id: string;
  /** The stored status before the upsert; null when it inserted. */
  previousStatus: ConnectionStatus | null;
}

export const CONNECTION_EVENT_TYPES = [
  'connection.created',
  'connection.updated',
  'connection.tested',
  'connection.renewed',
  'connection.renewal_failed',
  'connection.error',
  'connection.revoked',
] as const;
export type ConnectionEventType = (typeof CONNECTION_EVENT_TYPES)[number];

/** What a use case says about a change; the rest of the event comes from the connection. */
export interface EventDetails {
  type: ConnectionEventType;
  /** `connection.tested`: whether the test passed. */
  ok?: boolean;
  /** `connection.renewal_failed`: the attempt of the renewal job, when a job made it. */
  attempt?: number;
  /** `connection.error`, `connection.renewal_failed`: the error's stable code, such as `invalid_client`. */
  code?: string;
  /** `connection.error`, `connection.renewal_failed`: the error's message (never holds a secret). */
  description?: string;
  /** `connection.revoked`: whether the provider confirmed the revocation; null when it was not asked. */
  providerRevoked?: boolean | null;
  /** `connection.revoked`: why the provider did not revoke, when it did not. */
  reason?: string;
  /** The status before the change, when it is not the stored one (a revoke passes through `revoking`). */
  previousStatus?: ConnectionStatus;
}

export interface ConnectionEvent extends Omit<EventDetails, 'previousStatus'> {
  /** A UUID; the same whenever this event is published again. */
  id: string;
  /** ISO 8601 time of the change. */
  at: string;
  owner: string;
  connectionId: string;
  connector: string;
  /** The status after the change. */
  status: ConnectionStatus;
  /** The status before the change; null for a new connection. */
  previousStatus: ConnectionStatus | null;
}
