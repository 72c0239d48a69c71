/**
 * A first run on a machine with nothing but Redis: `npm start` with DATABASE_URL unset keeps its data in the
 * embedded store (DATA_DIR, a temporary directory here), serves the board, runs a connection's lifecycle and keeps
 * the connection across a restart. Without Redis, it stops at once with one line saying what to do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configVariableNames } from '../../src/config.js';
import { createClient } from '../../src/queue/client.js';
import { KeyRing } from '../../src/secrets/keyring.js';
import { createStore } from '../../src/store/index.js';
import { providerConnector } from '../support/connectors.js';
import { startProvider, type TestProvider } from '../support/provider.js';
import { freePort, type ManagedServer, startRedisServer } from '../support/servers.js';

/** The environment of a bare machine: none of the service's settings, whatever the test runner has. */
const bare = Object.fromEntries(Object.entries(process.env).filter(([name]) => !configVariableNames().includes(name)));

interface Started {
  child: ChildProcess;
  output: () => string;
  /** npm's exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Resolves when every process of the group has let go of the output: node has exited too. */
  closed: Promise<unknown>;
  /** SIGTERM to `npm start` and everything it started, as a service manager sends; resolves when all are gone. */
  stop(): Promise<unknown>;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** `npm start` in its own process group, so that a signal reaches npm, tsx and node alike. */
function npmStart(env: Record<string, string>): Started {
  const child = spawn('npm', ['start'], {
    env: { ...bare, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (chunk: Buffer) => {
      output += String(chunk);
    });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const closed = once(child, 'close');
  started.push(child);
  return {
    child,
    output: () => output,
    exited,
    closed,
    stop() {
      signalGroup(child, 'SIGTERM');
      return closed;
    },
  };
}

/** Waits for `app` to exit (killed after a minute), expects status 1, and returns its output lines naming `setting`. */
async function linesAtExit(app: Started, setting: string): Promise<string[]> {
  const timer = setTimeout(() => signalGroup(app.child, 'SIGKILL'), 60_000);
  const code = await app.exited;
  clearTimeout(timer);
  expect(code).toBe(1);
  return app
    .output()
    .split('\n')
    .filter((line) => line.includes(setting));
}

const started: ChildProcess[] = [];
let redis: ManagedServer;
let provider: TestProvider;
let dataDir: string;

beforeAll(async () => {
  redis = await startRedisServer();
  provider = await startProvider();
  dataDir = mkdtempSync(join(tmpdir(), 'oauth-cc-first-run-'));
});
afterAll(async () => {
  for (const child of started) signalGroup(child, 'SIGKILL');
  await redis?.close();
  await provider?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start on a machine with only Redis', () => {
  it('with DATABASE_URL unset, it runs connect → call → revoke on the embedded store, which a restart keeps', async () => {
    const keys = KeyRing.generateKey('first-run');
    // The connector goes in the way an operator would put it there before starting: the same embedded store.
    const seeding = await createStore(`pglite://${dataDir}/pglite`);
    await seeding.migrate();
    await seeding.connectors.apply(providerConnector(provider.url));
    await seeding.close();
    provider.registerClient({
      clientId: 'first-run',
      clientSecret: 'first-secret',
      account: { account_id: 'first-run', name: 'Ada', email: 'ada@example.com' },
    });

    const boardPort = await freePort();
    const env = { REDIS_URL: redis.url, DATA_DIR: dataDir, ENCRYPTION_KEYS: keys, BOARD_PORT: String(boardPort) };
    const client = createClient({ redisUrl: redis.url, encryptionKeys: keys, timeoutMs: 30_000 });
    try {
      let app = npmStart(env);
      const banner = /Bull Board: (\S+)\n {2}user: (\S+)\n {2}password: (\S+)/;
      await expect.poll(app.output, { timeout: 120_000, interval: 200 }).toMatch(banner);
      expect(app.output()).toContain(
        `Store: embedded PostgreSQL (PGlite) in ${dataDir}/pglite, for this process only (to run several workers, set DATABASE_URL to a PostgreSQL server)`,
      );
      const [, url = '', user = '', password = ''] = banner.exec(app.output()) ?? [];
      const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      expect((await fetch(`${url}/api/queues`, { headers: { authorization } })).status).toBe(200);

      const owner = 'first-workspace';
      const { connectionId, created } = await client.connect({
        owner,
        connector: 'acme',
        fields: { client_id: 'first-run', client_secret: 'first-secret' },
      });
      expect(created).toBe(true);
      expect((await client.call({ owner, connectionId, url: 'contacts' })).status).toBe(200);

      await app.stop();
      // npm dies of the signal; the service itself shuts down: jobs finished, store closed.
      expect(app.output()).toMatch(/"msg":"shutting down"[\s\S]*"msg":"stopped"/);
      app = npmStart(env);
      await expect.poll(app.output, { timeout: 120_000, interval: 200 }).toMatch(banner);
      // The connection outlived the process: its stored token still serves calls, and it can be revoked.
      expect((await client.call({ owner, connectionId, url: 'contacts' })).status).toBe(200);
      expect(await client.revoke({ owner, connectionId })).toMatchObject({ status: 'revoked', providerRevoked: true });
      await app.stop();
      expect(app.output()).toMatch(/"msg":"stopped"/);
      expect(app.output()).not.toContain('first-secret');
    } finally {
      await client.close();
    }
  }, 300_000);

  it('with no Redis answering, it exits 1 within seconds, printing one line naming REDIS_URL and the fix', async () => {
    const port = await freePort();
    const app = npmStart({ REDIS_URL: `redis://127.0.0.1:${port}`, DATA_DIR: dataDir });
    expect(await linesAtExit(app, 'REDIS_URL')).toEqual([
      `REDIS_URL: no Redis answers at 127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}); start one (\`redis-server\`, or \`docker compose up -d redis\`) or set it to the URL of a running Redis`,
    ]);
    expect(app.output()).not.toMatch(/redis connection error/);
  }, 120_000);

  it('with DATABASE_URL naming a database that does not answer, it exits 1 printing one line naming DATABASE_URL', async () => {
    const port = await freePort();
    const app = npmStart({ REDIS_URL: redis.url, DATABASE_URL: `postgres://postgres:pw@127.0.0.1:${port}/postgres` });
    expect(await linesAtExit(app, 'DATABASE_URL')).toEqual([
      `DATABASE_URL: PostgreSQL at 127.0.0.1:${port}/postgres does not answer (ECONNREFUSED); start it, set DATABASE_URL to a running database, or unset DATABASE_URL (outside production) to use the embedded store`,
    ]);
    expect(app.output()).not.toContain('pw@');
  }, 120_000);
});
