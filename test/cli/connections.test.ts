import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionInput } from '../../src/domain/model.js';
import { KeyRing } from '../../src/secrets/keyring.js';
import { sealedFor } from '../support/sealed.js';
import { type CliSystem, cli, startCliSystem } from './cli.js';

let system: CliSystem;
let keys: KeyRing;
let ada: Connection;
let bob: Connection;

const SECRET = 'client-secret-do-not-print';
const ACCESS = 'access-token-do-not-print';

function connection(owner: string, uniqueId: string, overrides: Partial<ConnectionInput> = {}): ConnectionInput {
  return {
    connector: 'acme',
    owner,
    uniqueId,
    name: `${uniqueId}'s Account`,
    status: 'active',
    fields: { client_id: `id-${uniqueId}`, environment: 'production' },
    secrets: {},
    accessToken: null,
    refreshToken: null,
    tokenType: 'Bearer',
    scopes: ['contacts.read'],
    tokenMeta: { instance_url: 'https://acme.example', id_token: 'id-token-do-not-print' },
    testValues: { name: uniqueId },
    expiresAt: new Date('2030-01-01T00:00:00.000Z'),
    renewAt: new Date('2029-12-31T23:55:00.000Z'),
    lastTest: null,
    lastError: null,
    ...overrides,
  };
}

beforeAll(async () => {
  system = await startCliSystem();
  keys = KeyRing.parse(system.env.ENCRYPTION_KEYS ?? '');
  const sealed = sealedFor(keys, { secrets: { client_secret: SECRET }, accessToken: ACCESS });
  ada = (await system.store.connections.upsert(connection('ws-1', 'ada'), undefined, sealed)).connection;
  bob = (
    await system.store.connections.upsert(
      connection('ws-2', 'bob', { connector: 'other', status: 'error' }),
      undefined,
      sealed,
    )
  ).connection;
});
afterAll(() => system?.close());

/** Rows of a table printed by the CLI, as arrays of cells. */
const rows = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => line.split(/\s{2,}/));

describe('connections list', () => {
  it('when run without filters, it prints a table of every connection', async () => {
    const result = await cli(['connections', 'list'], system.env);

    expect(result.code).toBe(0);
    const [header, ...body] = rows(result.stdout);
    expect(header).toEqual(['ID', 'CONNECTOR', 'OWNER', 'NAME', 'STATUS', 'EXPIRES_AT', 'RENEW_AT']);
    expect(body).toContainEqual([
      ada.id,
      'acme',
      'ws-1',
      "ada's Account",
      'active',
      '2030-01-01T00:00:00.000Z',
      '2029-12-31T23:55:00.000Z',
    ]);
    expect(body.map((row) => row[0]).sort()).toEqual([ada.id, bob.id].sort());
  });

  it('when filtered by owner, connector or status, it shows only the matching connections', async () => {
    for (const filter of [
      ['--owner', 'ws-2'],
      ['--connector', 'other'],
      ['--status', 'error'],
    ]) {
      const result = await cli(['connections', 'list', ...filter], system.env);
      expect(
        rows(result.stdout)
          .slice(1)
          .map((row) => row[0]),
      ).toEqual([bob.id]);
    }
  });

  it('when the limit cuts the list, it prints the cursor of the next page, which shows the rest', async () => {
    const first = await cli(['connections', 'list', '--limit', '1'], system.env);
    expect(rows(first.stdout)).toHaveLength(2);
    const cursor = /--after (\S+)/.exec(first.stderr)?.[1];
    expect(cursor).toBeDefined();

    const second = await cli(['connections', 'list', '--limit', '1', '--after', cursor ?? ''], system.env);
    const ids = [rows(first.stdout)[1]?.[0], rows(second.stdout)[1]?.[0]];
    expect(ids.sort()).toEqual([ada.id, bob.id].sort());
  });

  it('when an option value is wrong, it is a usage error with exit 2', async () => {
    const wrong = [['--status', 'happy'], ['--limit', '0'], ['--bogus', 'x'], ['extra-argument']];
    const results = await Promise.all(wrong.map((args) => cli(['connections', 'list', ...args], system.env)));
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^oauth-cc: .*\n\nUsage: oauth-cc connections list /);
    }
  });
});

describe('connections show', () => {
  it('when the connection exists, it prints it as JSON with secrets and tokens masked', async () => {
    const result = await cli(['connections', 'show', ada.id], system.env);

    expect(result.code).toBe(0);
    const shown = JSON.parse(result.stdout);
    expect(shown).toMatchObject({
      id: ada.id,
      connector: 'acme',
      owner: 'ws-1',
      status: 'active',
      fields: { client_id: 'id-ada', environment: 'production' },
      secrets: { client_secret: '[sealed]' },
      accessToken: '[sealed]',
      refreshToken: null,
      tokenType: 'Bearer',
      tokenMeta: { instance_url: 'https://acme.example', id_token: '[redacted]' },
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
    for (const hidden of [SECRET, ACCESS, 'id-token-do-not-print', 'sealed:v'])
      expect(result.stdout + result.stderr).not.toContain(hidden);
  });

  it('when the connection does not exist, it says so in one line and exits 1', async () => {
    const result = await cli(['connections', 'show', '00000000-0000-4000-8000-000000000000'], system.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('oauth-cc: connection "00000000-0000-4000-8000-000000000000" not found\n');
  });
});
