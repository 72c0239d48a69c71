/** Shared by the store tests: a valid connection input, a connector definition, and a throwaway PostgreSQL schema. */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { ConnectorDefinition } from '../../src/definitions/schema.js';
import type { ConnectionInput } from '../../src/domain/model.js';

export const POSTGRES_URL = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function connectionInput(overrides: Partial<ConnectionInput> = {}): ConnectionInput {
  return {
    connector: 'acme',
    owner: `owner-${randomUUID()}`,
    uniqueId: 'client-1',
    name: 'Acme client-1',
    status: 'active',
    fields: { client_id: 'client-1', region: 'eu', sandbox: false, retries: 3 },
    secrets: { client_secret: 'sealed:v1:abc' },
    accessToken: 'sealed:v1:token',
    refreshToken: null,
    tokenType: 'Bearer',
    scopes: ['read', 'write'],
    tokenMeta: { instance_url: 'https://api.example.test', nested: { a: [1, 2] } },
    testValues: { account_id: 42 },
    expiresAt: new Date('2031-01-01T01:00:00.000Z'),
    renewAt: null,
    lastTest: { ok: true, status: 200, at: new Date('2030-12-31T23:00:00.123Z') },
    lastError: null,
    ...overrides,
  };
}

export function connectorDefinition(overrides: Partial<ConnectorDefinition> = {}): ConnectorDefinition {
  return {
    key: `acme-${randomUUID().slice(0, 8)}`,
    name: 'Acme',
    fields: [
      { key: 'client_id', label: 'Client ID', type: 'text', required: true },
      { key: 'client_secret', label: 'Client secret', type: 'secret', required: true },
    ],
    token: { url: 'https://auth.example.test/token', scopes: ['read'] },
    allowedUrls: ['https://api.example.test/'],
    ...overrides,
  };
}

/** A schema name unique to this run; `drop` removes it and everything in it. */
export function throwawaySchema(prefix: string) {
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  return {
    name,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(name)} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
