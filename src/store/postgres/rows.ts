/**
 * Mapping between `Connection` and the `connections` table: one column list drives inserts, upserts and patches,
 * and one function reads a row back (JSON dates become `Date` again).
 */
import type { Connection, ConnectionPatch, ConnectionStatus, LastError, LastTest } from '../../domain/model.js';

interface ColumnSpec {
  column: string;
  /** Turns the API value into a query parameter; jsonb values are sent as JSON text (pg would send arrays as SQL arrays). */
  encode: (value: unknown) => unknown;
}

const asIs = (value: unknown) => value;
const asJson = (value: unknown) => (value === null ? null : JSON.stringify(value));

/** Every changeable field of a connection and its column. */
export const PATCH_COLUMNS: Record<keyof ConnectionPatch, ColumnSpec> = {
  uniqueId: { column: 'unique_id', encode: asIs },
  name: { column: 'name', encode: asIs },
  status: { column: 'status', encode: asIs },
  fields: { column: 'fields', encode: asJson },
  secrets: { column: 'secrets', encode: asJson },
  accessToken: { column: 'access_token', encode: asIs },
  refreshToken: { column: 'refresh_token', encode: asIs },
  tokenType: { column: 'token_type', encode: asIs },
  scopes: { column: 'scopes', encode: asIs },
  tokenMeta: { column: 'token_meta', encode: asJson },
  testValues: { column: 'test_values', encode: asJson },
  expiresAt: { column: 'expires_at', encode: asIs },
  renewAt: { column: 'renew_at', encode: asIs },
  lastTest: { column: 'last_test', encode: asJson },
  lastError: { column: 'last_error', encode: asJson },
};

export function patchColumn(key: string): ColumnSpec | undefined {
  return Object.hasOwn(PATCH_COLUMNS, key) ? PATCH_COLUMNS[key as keyof ConnectionPatch] : undefined;
}

type Stored<T extends { at: Date }> = Omit<T, 'at'> & { at: string };

export interface ConnectionRow {
  id: string;
  connector: string;
  owner: string;
  unique_id: string;
  name: string;
  status: ConnectionStatus;
  fields: Connection['fields'];
  secrets: Connection['secrets'];
  access_token: string | null;
  refresh_token: string | null;
  token_type: string | null;
  scopes: string[];
  token_meta: Record<string, unknown>;
  test_values: Record<string, unknown>;
  expires_at: Date | null;
  renew_at: Date | null;
  last_test: Stored<LastTest> | null;
  last_error: Stored<LastError> | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

/**
 * The columns a `ConnectionRow` reads, for reads that return connections: the outbox's columns (pending events,
 * claims) can be large and are not part of a connection.
 */
export const CONNECTION_COLUMNS = [
  'id',
  'connector',
  'owner',
  ...Object.values(PATCH_COLUMNS).map((spec) => spec.column),
  'created_at',
  'updated_at',
  'version',
].join(', ');

function withDate<T extends { at: Date }>(stored: Stored<T> | null): T | null {
  return stored === null ? null : ({ ...stored, at: new Date(stored.at) } as T);
}

export function toConnection(row: ConnectionRow): Connection {
  return {
    id: row.id,
    connector: row.connector,
    owner: row.owner,
    uniqueId: row.unique_id,
    name: row.name,
    status: row.status,
    fields: row.fields,
    secrets: row.secrets,
    accessToken: row.access_token,
    refreshToken: row.refresh_token,
    tokenType: row.token_type,
    scopes: row.scopes,
    tokenMeta: row.token_meta,
    testValues: row.test_values,
    expiresAt: row.expires_at,
    renewAt: row.renew_at,
    lastTest: withDate(row.last_test),
    lastError: withDate(row.last_error),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

// Canonical text form only: ids are handed out by the store, anything else cannot name a connection.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);
export const isConnectionId = isUuid;
