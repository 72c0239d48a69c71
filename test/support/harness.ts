/**
 * A whole system for one test file: its own PostgreSQL schema and queue prefix on the machine's PostgreSQL and
 * Redis, the local test provider, in-process workers (or child processes), and the SDK client. Logs are captured so
 * tests can scan them for secrets.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { type Config, loadConfig } from '../../src/config.js';
import type { ConnectorDefinition } from '../../src/definitions/schema.js';
import { createLogger } from '../../src/log.js';
import { type Client, type ClientOptions, createClient } from '../../src/queue/client.js';
import { createRedis, type RedisClient, type RedisRole } from '../../src/queue/redis.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { KeyRing } from '../../src/secrets/keyring.js';
import { TransportKeyRing } from '../../src/secrets/transport.js';
import { type RunningWorker, startWorker } from '../../workers/start-worker.js';
import { startProvider, type TestProvider } from './provider.js';

export const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/**
 * Seed nodes of a Redis Cluster to run against instead of REDIS_URL (`npm run test:cluster` sets it, with
 * TEST_CALL_PARTITIONS): the same tests then prove the system on a cluster.
 */
export const REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES;
const CALL_PARTITIONS = process.env.TEST_CALL_PARTITIONS ?? '1';

export interface Harness {
  provider: TestProvider;
  runtime: Runtime;
  client: Client;
  config: Config;
  env: Record<string, string>;
  keys: KeyRing;
  /** The public key of the workers' TRANSPORT_PRIVATE_KEYS, as producers are given it. */
  transportPublicKey: string;
  /** Where producers find the queues (one Redis or the cluster, partitions, prefix): for clients a test makes. */
  clientOptions: Pick<ClientOptions, 'redisUrl' | 'clusterNodes' | 'callPartitions' | 'prefix' | 'timeoutMs'>;
  /** Every log line written so far by in-process and child workers. */
  logs: string[];
  applyConnector(definition: ConnectorDefinition): Promise<void>;
  /** A new connection to the system's Redis (one server or the cluster), closed with the harness. */
  redisConnection(role?: RedisRole): RedisClient;
  /** Starts a worker in a child process (as `npm run worker` would); resolves when it is ready. */
  spawnWorker(extraEnv?: Record<string, string>): Promise<ChildProcess>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Run a worker in this process. @default true */
  inProcessWorker?: boolean;
  /** Extra environment for the config. */
  env?: Record<string, string>;
  provider?: { https?: boolean };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const id = randomBytes(4).toString('hex');
  const keySpec = KeyRing.generateKey('test');
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL,
    REDIS_URL,
    ...(REDIS_CLUSTER_NODES && { REDIS_CLUSTER_NODES }),
    CALL_PARTITIONS,
    DATABASE_SCHEMA: `t_${id}`,
    QUEUE_PREFIX: `t${id}`,
    ENCRYPTION_KEYS: keySpec,
    TRANSPORT_PRIVATE_KEYS: TransportKeyRing.generate('test').privateEntry,
    LOG_LEVEL: 'info',
    JOB_BACKOFF_MS: '50',
    JOB_ATTEMPTS: '3',
    TOKEN_REQUEST_TIMEOUT_MS: '5000',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...options.env,
  };
  const provider = await startProvider(options.provider);
  const config = loadConfig(env);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const transportPublicKey = TransportKeyRing.parse(env.TRANSPORT_PRIVATE_KEYS ?? '').publicKey;
  const runtime = await createRuntime(config, createLogger({ level: config.logLevel, destination: sink }));
  const worker: RunningWorker | null = options.inProcessWorker === false ? null : startWorker(runtime);
  const clientOptions = {
    redisUrl: config.redisUrl,
    ...(config.redisClusterNodes && { clusterNodes: config.redisClusterNodes }),
    callPartitions: config.callPartitions,
    prefix: config.queuePrefix,
    timeoutMs: 20_000,
  };
  // As producers should: the public key only (test/lifecycle/transport.test.ts keeps the deprecated ring tested).
  const client = createClient({ ...clientOptions, transportPublicKey });
  const children: ChildProcess[] = [];
  const connections: RedisClient[] = [];

  return {
    provider,
    runtime,
    client,
    config,
    env,
    keys: runtime.keys,
    transportPublicKey,
    clientOptions,
    logs,
    async applyConnector(definition) {
      await runtime.services.cache.applyConnector(definition);
    },
    redisConnection(role = 'worker') {
      const connection = createRedis(runtime.redisTarget, role);
      connections.push(connection);
      return connection;
    },
    async spawnWorker(extraEnv = {}) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'workers/worker.ts'], {
        env: { ...process.env, ...env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => {
          logs.push(String(chunk));
          if (String(chunk).includes('worker started')) resolve();
        });
        child.stderr?.on('data', (chunk: Buffer) => logs.push(String(chunk)));
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
      await ready;
      return child;
    },
    async close() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await client.close();
      await worker?.close(2_000);
      await Promise.allSettled(connections.map((connection) => connection.quit()));
      for (const queue of runtime.allQueues) await queue.obliterate({ force: true }).catch(() => {});
      await runtime.close();
      await provider.close();
      const db = new pg.Client({ connectionString: DATABASE_URL });
      await db.connect();
      await db.query(`DROP SCHEMA IF EXISTS "t_${id}" CASCADE`);
      await db.end();
    },
  };
}
