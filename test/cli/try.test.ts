import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../src/definitions/schema.js';
import { providerConnector } from '../support/connectors.js';
import { startProvider, type TestProvider } from '../support/provider.js';
import { type CliResult, type CliSystem, cli, startCliSystem } from './cli.js';

/** Reserved characters on purpose: `basic` form-encodes them, a provider decoding raw refuses it. */
const SECRET = 'pa$s+w/rd=%&secret-XYZ-123';
const CLIENT = 'try-app';

let provider: TestProvider;
let system: CliSystem;
let dir: string;

beforeAll(async () => {
  provider = await startProvider();
  provider.registerClient({
    clientId: CLIENT,
    clientSecret: SECRET,
    scopes: ['contacts.read'],
    account: { account_id: 'acc-42', name: 'Ada', email: 'ada@example.test' },
  });
  system = await startCliSystem();
  dir = await mkdtemp(join(tmpdir(), 'oauth-cc-try-'));
});
afterAll(async () => {
  await provider?.close();
  await system?.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => provider.reset());

let files = 0;
async function definitionFile(overrides: Partial<ConnectorDefinition> = {}): Promise<string> {
  const file = join(dir, `def-${files++}.json`);
  await writeFile(file, JSON.stringify(providerConnector(provider.url, overrides)));
  return file;
}

const credentials = ['--field', `client_id=${CLIENT}`, '--field', `client_secret=${SECRET}`];

async function tryIt(file: string, ...extra: string[]): Promise<CliResult> {
  return cli(['connectors', 'try', file, ...credentials, ...extra], system.env);
}

/** Nothing the run saw may be printed: the client secret, its encodings, any token the provider issued. */
function expectNoSecret(result: CliResult): void {
  const printed = result.stdout + result.stderr;
  const forms = [
    SECRET,
    encodeURIComponent(SECRET),
    Buffer.from(`${CLIENT}:${SECRET}`).toString('base64'),
    Buffer.from(`${CLIENT}:${encodeURIComponent(SECRET)}`).toString('base64'),
    ...provider.issuedTokens(),
  ];
  for (const secret of forms) expect(printed).not.toContain(secret);
}

async function expectNothingStored(): Promise<void> {
  expect(Object.values(await system.store.connections.countByStatus()).every((count) => count === 0)).toBe(true);
  expect(await system.redis.keys(`${system.prefix}:*`)).toEqual([]);
}

// Each case starts the CLI as a process; on a busy machine that alone takes seconds.
describe('connectors try', { timeout: 120_000 }, () => {
  it('when the definition works, it prints each exchange masked, the token timing, name and id, and stores nothing', async () => {
    const result = await tryIt(await definitionFile(), '--call', 'GET /api/items?limit=2');

    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toContain(`→ token: POST ${provider.url}/oauth/token`);
    expect(out).toContain('    authorization: Basic [masked]');
    expect(out).toContain('    content-type: application/x-www-form-urlencoded');
    expect(out).toMatch(/form:\n {4}grant_type=client_credentials\n {4}scope=contacts.read\n/);
    expect(out).toMatch(/← 200\n {4}content-type: application\/json\n {2}body: \{"access_token":"\[masked\]"/);
    expect(out).toContain(`→ test: GET ${provider.url}/me?env=production`);
    expect(out).toContain('    authorization: Bearer [masked]');
    expect(out).toContain(`→ call: GET ${provider.url}/api/items?limit=2&env=production`);
    expect(out).toMatch(
      /Token: Bearer, lifetime 3600 s, expires \S+Z, would be renewed at \S+Z, scopes: contacts.read/,
    );
    expect(out).toContain("Connection name: Ada's Account");
    expect(out).toContain('Unique identifier: acc-42');
    expect(out).toContain('OK: connect would succeed with this definition.');
    // The API echoes the request's headers, bearer token included: masked in the body excerpt too.
    expect(out).toMatch(/"authorization":"Bearer \[masked\]"/);
    expect(provider.stats).toMatchObject({ tokenRequests: 1, testRequests: 1, apiRequests: 1 });
    expectNoSecret(result);
    await expectNothingStored();
    expect(await system.store.connectors.list()).toEqual([]);
  });

  it('when --json is given, the same report is printed as JSON, masked', async () => {
    const result = await tryIt(await definitionFile(), '--json');

    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      connector: 'acme',
      ok: true,
      uniqueId: 'acc-42',
      connectionName: "Ada's Account",
      token: { type: 'Bearer', lifetimeSeconds: 3600 },
    });
    expect(
      report.exchanges.map((exchange: { step: string; status: number }) => [exchange.step, exchange.status]),
    ).toEqual([
      ['token', 200],
      ['test', 200],
    ]);
    expect(report.exchanges[0].params).toEqual(['grant_type=client_credentials', 'scope=contacts.read']);
    expectNoSecret(result);
  });

  it('when the provider refuses form-encoded basic credentials, it says the secret may hold reserved characters', async () => {
    provider.quirk({ onlyBasicRaw: true });
    const result = await tryIt(await definitionFile());

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAILED at token: token endpoint answered 401 invalid_client');
    expect(result.stdout).toContain(
      '← 401\n    content-type: application/json\n    www-authenticate: Basic realm="test-provider"',
    );
    expect(result.stdout).toMatch(
      /invalid_client with clientAuth basic: the secret may contain reserved characters.*try token.clientAuth "basic_raw" or "body"/,
    );
    expectNoSecret(result);
  });

  it('when --probe is given and only basic_raw works, it tries the others, one request each, and names basic_raw', async () => {
    provider.quirk({ onlyBasicRaw: true });
    const result = await tryIt(await definitionFile(), '--probe');

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('→ probe basic_raw/form: POST');
    expect(result.stdout).toContain('  - clientAuth basic_raw, format form: accepted');
    expect(result.stdout).toContain(
      'The provider accepted clientAuth "basic_raw" with format "form": set token.clientAuth and token.format to these.',
    );
    // The refused original, then the probe that was accepted: the probe stops there.
    expect(provider.stats.tokenRequests).toBe(2);
    expectNoSecret(result);
    await expectNothingStored();
  });

  it('when --probe is given and every attempt is refused, it lists each and claims none', async () => {
    const file = await definitionFile({ token: { url: `${provider.url}/oauth/token`, scopes: ['contacts.write'] } });
    // Every attempt is refused (the scope is not allowed): each is listed, and none is claimed to work.
    const result = await tryIt(file, '--probe');

    expect(result.code).toBe(1);
    const attempts = result.stdout.split('\n').filter((line) => line.startsWith('  - clientAuth'));
    expect(attempts.map((line) => line.split(':')[0])).toEqual([
      '  - clientAuth basic_raw, format form',
      '  - clientAuth body, format form',
      '  - clientAuth basic, format json',
      '  - clientAuth basic_raw, format json',
      '  - clientAuth body, format json',
    ]);
    expect(result.stdout).toContain('The provider accepted none of them');
    expect(provider.stats.tokenRequests).toBe(6);
  });

  it('when the grant type is wrong, it points at token.grantType', async () => {
    const file = await definitionFile({ token: { url: `${provider.url}/oauth/token`, grantType: 'password' } });
    const result = await tryIt(file);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('form:\n    grant_type=password');
    expect(result.stdout).toContain(
      'unsupported_grant_type: set token.grantType to what the provider documents (now "password")',
    );
  });

  it('when the provider is at an address the egress policy refuses, it fails at the token step and sends nothing', async () => {
    const result = await cli(['connectors', 'try', await definitionFile(), ...credentials], {
      ...system.env,
      EGRESS_ALLOWED_NETWORKS: '10.0.0.0/8',
    });

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAILED at token: .*127\.0\.0\.1 is loopback, not a public address/);
    expect(result.stdout).toContain('EGRESS_ALLOWED_NETWORKS');
    expect(provider.stats.tokenRequests).toBe(0);
    expectNoSecret(result);
  });

  it('when a scope is refused, it points at the scopes and their separator', async () => {
    const file = await definitionFile({
      token: { url: `${provider.url}/oauth/token`, scopes: ['contacts.read', 'contacts.write'], scopeSeparator: ',' },
    });
    const result = await tryIt(file);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('scope=contacts.read,contacts.write');
    expect(result.stdout).toContain(
      'invalid_scope: check token.scopes (now ["contacts.read","contacts.write"]) and token.scopeSeparator (now ",")',
    );
  });

  it('when a 200 answer carries an error, it says the status cannot be trusted and points at token.response', async () => {
    provider.quirk({ okWithErrorBody: 'invalid_client' });
    const result = await tryIt(await definitionFile());

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('FAILED at token: token endpoint answered 200 invalid_client');
    expect(result.stdout).toContain(
      'the token endpoint answered 200 but its body carries error "invalid_client": the status cannot be trusted; check token.response',
    );
  });

  it('when the token is not where the definition expects it, it names the paths that look like a token', async () => {
    provider.quirk({ tokenPath: 'data.credentials.bearer' });
    const result = await tryIt(await definitionFile());

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'no access token at "access_token"; the answer has token-like values at data.credentials.bearer: set token.response.accessToken to the right one',
    );
    expect(result.stdout).toContain('"data":{"credentials":{"bearer":"[masked]"}}');
    expectNoSecret(result);
  });

  it('when the answer has no expires_in, it succeeds and says which default lifetime applies', async () => {
    provider.quirk({ noExpiresIn: true });
    const result = await tryIt(
      await definitionFile({ token: { url: `${provider.url}/oauth/token`, defaultLifetimeSeconds: 1800 } }),
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'the answer has no expires_in: the default lifetime of 1800 s (token.defaultLifetimeSeconds) applies',
    );
    expect(result.stdout).toContain('lifetime 1800 s');
  });

  it('when the test API answers 401, it points at the header name and prefix of requestDefaults', async () => {
    const file = await definitionFile({ requestDefaults: { headers: { Authorization: 'Token {{access_token}}' } } });
    const result = await tryIt(file);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('    authorization: Token [masked]');
    expect(result.stdout).toContain('FAILED at test: test API answered 401');
    expect(result.stdout).toContain(
      'the test API answered 401: the token was not accepted as sent; check the header name and prefix in requestDefaults.headers (now Authorization: Token {{access_token}}); the provider asks for: Bearer error="invalid_token"',
    );
    expectNoSecret(result);
  });

  it('when the definition is invalid, it prints the issues and exits 1 without any request', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, JSON.stringify({ ...providerConnector(provider.url), tokn: {} }));
    const result = await tryIt(file);

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${file}: tokn: unknown key; did you mean token?`);
    expect(provider.stats.tokenRequests).toBe(0);
  });

  it('when the usage is wrong or required fields are missing without a terminal, it exits 2', async () => {
    const file = await definitionFile();
    const badCall = await tryIt(file, '--call', 'FETCH things');
    expect(badCall.code).toBe(2);
    expect(badCall.stderr).toContain('--call: write "METHOD path"');

    const missing = await cli(['connectors', 'try', file, '--field', `client_id=${CLIENT}`], system.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing required fields client_secret; give --field client_secret=…');
    expect(provider.stats.tokenRequests).toBe(0);
  });

  it('when given the key of a stored connector and a fields file, it tries the stored definition', async () => {
    await system.store.connectors.apply(providerConnector(provider.url, { key: 'stored-acme' }));
    const fields = join(dir, 'fields.json');
    await writeFile(fields, JSON.stringify({ client_id: CLIENT, client_secret: SECRET }));
    const result = await cli(['connectors', 'try', 'stored-acme', '--fields-file', fields], system.env);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Trying connector stored-acme; nothing is stored.');
    await expectNothingStored();
  });
});

/** Runs the CLI in a pseudo-terminal (util-linux `script`), answering each prompt once it appears. */
function inTerminal(args: string[], answers: Array<[prompt: string, answer: string]>): Promise<CliResult> {
  const command = ['node', '--import', 'tsx', 'bin/oauth-cc.ts', ...args].map((arg) => `'${arg}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...process.env, ...system.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let transcript = '';
  const pending = [...answers];
  child.stdout.on('data', (chunk: Buffer) => {
    transcript += String(chunk);
    const next = pending[0];
    if (next && transcript.includes(next[0])) {
      pending.shift();
      child.stdin.write(next[1]);
    }
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout: transcript, stderr: '' })));
}

describe('connectors try in a terminal', { timeout: 120_000 }, () => {
  it('asks for missing required fields, the secret without echo, and never prints it', async () => {
    const file = await definitionFile();
    const result = await inTerminal(
      ['connectors', 'try', file],
      [
        ['Client ID (client_id): ', `${CLIENT}\r`],
        ['Client Secret (client_secret; hidden): ', `${SECRET}\r`],
      ],
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(CLIENT);
    expect(result.stdout).toContain('OK: connect would succeed with this definition.');
    expectNoSecret(result);
    await expectNothingStored();
  });
});
