/**
 * Runs `oauth-cc` as a child process, as a user would, against an isolated system: its own PostgreSQL schema and
 * queue prefix on the machine's PostgreSQL and Redis.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { KeyRing } from '../../src/secrets/keyring.js';
import type { Store } from '../../src/store/port.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { DATABASE_URL, REDIS_URL } from '../support/harness.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A command still running after this long is killed, so that a hang fails its test with what it printed so far. */
const CLI_KILL_MS = 60_000;

/** Runs `node --import tsx bin/oauth-cc.ts ...args` in the project directory with `env` over the test's own. */
export function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/oauth-cc.ts', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killer = setTimeout(() => {
      stderr += `\n[test] oauth-cc ${args.join(' ')} still running after ${CLI_KILL_MS} ms: killed`;
      child.kill('SIGKILL');
    }, CLI_KILL_MS);
    child.once('exit', () => clearTimeout(killer));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += String(chunk);
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface CliSystem {
  /** Environment of the CLI: this system's schema, prefix and key ring. */
  env: Record<string, string>;
  /** The same store the CLI uses, for seeding and checking. */
  store: Store;
  redis: Redis;
  prefix: string;
  close(): Promise<void>;
}

/** A fresh schema and queue prefix; `encryptionKeys` defaults to one new key. */
export async function startCliSystem(encryptionKeys = KeyRing.generateKey('k1')): Promise<CliSystem> {
  const id = randomBytes(4).toString('hex');
  const schema = `cli_${id}`;
  const prefix = `cli${id}`;
  const store = createPostgresStore({ url: DATABASE_URL, schema });
  await store.migrate();
  const redis = new Redis(REDIS_URL);
  return {
    env: {
      NODE_ENV: 'test',
      DATABASE_URL,
      REDIS_URL,
      DATABASE_SCHEMA: schema,
      QUEUE_PREFIX: prefix,
      ENCRYPTION_KEYS: encryptionKeys,
      LOG_LEVEL: 'warn',
    },
    store,
    redis,
    prefix,
    async close() {
      await store.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      const db = new pg.Client({ connectionString: DATABASE_URL });
      await db.connect();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
    },
  };
}
