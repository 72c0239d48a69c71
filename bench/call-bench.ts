/**
 * The `call` throughput benchmark, as a function so that the smoke test runs the same code path
 * with small numbers. `bench/call.ts` is the command line around it.
 *
 * Layout, the same for both sides: this process enqueues and waits; the upstream API (`call-upstream.ts`) runs in
 * its own process; each side's worker runs in its own child process (`call-baseline-worker.ts`, `call-worker.ts`)
 * with the same concurrency, retention and probe; both workers run from the start, the idle one waits on Redis. Each
 * side drains `warmup` jobs, then `rounds` times the measured `calls` jobs, sides alternating. Every phase's jobs are
 * enqueued up front with `addBulk` on a paused queue; its clock starts at `resume` and stops at the last
 * `finishedOn`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { request } from 'undici';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createClient } from '../src/queue/client.js';
import { CALL_JOB, CALLS_QUEUE } from '../src/queue/names.js';
import { createRedis } from '../src/queue/redis.js';
import type { CallPayload } from '../src/queue/schemas.js';
import { createRuntime } from '../src/runtime.js';
import { KeyRing } from '../src/secrets/keyring.js';
import { providerConnector } from '../test/support/connectors.js';
import type { ChildMessage, PhaseReport } from './call-probe.js';
import { startTraceSink } from './trace-sink.js';

export interface CallBenchOptions {
  /** Measured call jobs per side. @default 20000 */
  calls?: number;
  /** Connections the calls are spread over, round robin. @default 200 */
  connections?: number;
  /** Call jobs each worker runs at once (WORKER_CONCURRENCY_CALLS). @default 100 */
  concurrency?: number;
  /** Calls each worker runs before the measured ones (JIT, caches, sockets). @default 2000 */
  warmup?: number;
  /** Measured rounds; each runs `calls` jobs on each side, alternating sides. @default 10 */
  rounds?: number;
  /** @default process.env.REDIS_URL ?? "redis://127.0.0.1:6379" */
  redisUrl?: string;
  /** PostgreSQL; the benchmark uses (and drops) its own schema. @default process.env.DATABASE_URL ?? local */
  databaseUrl?: string;
  /**
   * Gives the baseline the project's coalescing Redis client, so that the ratio shows the call path's own cost
   * without the transport's gain. Not the benchmark of the target (that baseline is a bare BullMQ worker).
   * @default false
   */
  baselineCoalescing?: boolean;
  /**
   * When set, our worker traces (OpenTelemetry) with this sampling ratio (`parentbased_traceidratio`), exporting
   * OTLP/protobuf to a local sink (`trace-sink.ts`). The baseline is never traced. @default tracing off
   */
  tracingRatio?: number;
  /** When set, every child process writes V8 CPU profiles into `<profileDir>/<baseline|ours|upstream>/`. */
  profileDir?: string;
  /** Receives progress lines. @default none */
  progress?: (line: string) => void;
}

export interface SideResult {
  completed: number;
  failed: number;
  firstFailure?: string;
  durationMs: number;
  /** Over all rounds. */
  jobsPerSecond: number;
  roundJobsPerSecond: number[];
  /** Worker CPU time (user + system) per measured job, µs. */
  cpuMicrosPerJob: number;
  /** Redis server CPU time per measured job, µs: Redis shares the machine's cores with the workers. */
  redisCpuMicrosPerJob: number;
  /** Job processing time (finishedOn − processedOn), median over the rounds. */
  p50Ms: number;
  p99Ms: number;
  maxRssBytes: number;
  /** RSS after a full GC when the worker had finished that many calls (warm-up included). */
  rssAtCalls: Record<number, number>;
}

export interface CallBenchResult {
  options: Required<Omit<CallBenchOptions, 'profileDir' | 'progress' | 'tracingRatio'>> & {
    tracingRatio: number | null;
  };
  machine: string;
  baseline: SideResult;
  ours: SideResult;
  /** ours / baseline jobs per second. */
  ratio: number;
  /** Requests that reached the upstream's token endpoint during our side (connects included). */
  tokenRequests: number;
  /** With `tracingRatio`: what the trace sink had received when the last round ended. */
  traces: { requests: number; bytes: number } | null;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OWNER = 'bench';
const ADD_BATCH = 1000;

export async function runCallBench(options: CallBenchOptions = {}): Promise<CallBenchResult> {
  const settings = {
    calls: options.calls ?? 20_000,
    connections: options.connections ?? 200,
    concurrency: options.concurrency ?? 100,
    warmup: options.warmup ?? 2_000,
    rounds: options.rounds ?? 10,
    baselineCoalescing: options.baselineCoalescing ?? false,
    tracingRatio: options.tracingRatio ?? null,
    redisUrl: options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    databaseUrl: options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
  const progress = options.progress ?? (() => {});
  const id = randomBytes(4).toString('hex');
  const prefix = `bench${id}`;
  const schema = `bench_${id}`;
  const keySpec = KeyRing.generateKey('bench');
  const nodeArgs = (side: string) => [
    '--expose-gc',
    // One folder per process: tsx's loader thread writes a profile of its own, the main thread's is the largest.
    ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, side)}`] : []),
  ];
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    REDIS_URL: settings.redisUrl,
    DATABASE_URL: settings.databaseUrl,
    DATABASE_SCHEMA: schema,
    QUEUE_PREFIX: prefix,
    ENCRYPTION_KEYS: keySpec,
    LOG_LEVEL: 'info',
    WORKER_CONCURRENCY_CALLS: String(settings.concurrency),
  };
  const config = loadConfig(env);
  const sink = settings.tracingRatio === null ? null : await startTraceSink();
  const oursEnv: Record<string, string> = sink
    ? {
        ...env,
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: String(settings.tracingRatio),
      }
    : env;
  const children: Child[] = [];
  const start = async (script: string, childEnv: Record<string, string>, side: string) => {
    const child = await spawnChild(script, { ...process.env, ...childEnv }, nodeArgs(side));
    children.push(child);
    return child;
  };

  const upstream = await start('bench/call-upstream.ts', { BENCH_CLIENTS: String(settings.connections) }, 'upstream');
  const upstreamUrl = (upstream.readyMessage as { url: string }).url;
  const runtime = await createRuntime(config, createLogger({ level: 'silent' }));
  const baselineRedis = createRedis(settings.redisUrl, 'producer');
  const baselineQueue = new Queue(CALLS_QUEUE, { connection: baselineRedis, prefix: `${prefix}b` });
  try {
    const tokens = await fetchTokens(upstreamUrl, settings.connections);
    const definition = providerConnector(upstreamUrl, { key: 'bench' });
    await runtime.services.cache.applyConnector(definition);
    upstream.send({ type: 'reset' });
    const [baselineWorker, worker] = await Promise.all([
      start(
        'bench/call-baseline-worker.ts',
        {
          REDIS_URL: settings.redisUrl,
          QUEUE_PREFIX: `${prefix}b`,
          CONCURRENCY: String(settings.concurrency),
          RETENTION_COUNT: String(config.jobRetentionCount),
          UPSTREAM_URL: upstreamUrl,
          BENCH_TOKENS_FILE: tokensFile(tokens),
          COALESCING: settings.baselineCoalescing ? '1' : '0',
        },
        'baseline',
      ),
      start('bench/call-worker.ts', oursEnv, 'ours'),
    ]);
    progress(`upstream at ${upstreamUrl}; connecting ${settings.connections} connections through connect jobs`);
    const connectionIds = await connectAll(settings, prefix, keySpec);
    const sides = [
      { queue: baselineQueue, worker: baselineWorker, ids: [...tokens.keys()], phases: [] as PhaseResult[] },
      { queue: runtime.queues.calls, worker, ids: connectionIds, phases: [] as PhaseResult[] },
    ] as const;
    for (const side of sides) await drain(runtime.redis, side.queue, side.worker, settings.warmup, side.ids);
    // Rounds alternate between the sides, so that both see the same background load.
    for (let round = 1; round <= settings.rounds; round++) {
      for (const side of sides)
        side.phases.push(await drain(runtime.redis, side.queue, side.worker, settings.calls, side.ids));
      const [b, o] = sides.map((side) => side.phases.at(-1)!.jobsPerSecond) as [number, number];
      progress(`round ${round}: baseline ${Math.round(b)} jobs/s, oauth-cc-worker ${Math.round(o)} jobs/s`);
    }
    upstream.send({ type: 'stats' });
    const { tokenRequests } = await upstream.next<{ tokenRequests: number }>('stats');
    const [baseline, ours] = sides.map((side) => combine(side.phases)) as [SideResult, SideResult];
    return {
      options: settings,
      machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`,
      baseline,
      ours,
      ratio: ours.jobsPerSecond / baseline.jobsPerSecond,
      tokenRequests,
      traces: sink?.received() ?? null,
    };
  } finally {
    await Promise.allSettled(children.map((child) => child.stop()));
    await sink?.close();
    await baselineQueue.obliterate({ force: true }).catch(() => {});
    for (const queue of Object.values(runtime.queues)) await queue.obliterate({ force: true }).catch(() => {});
    await deleteKeys(runtime.redis, prefix);
    await baselineQueue.close();
    await baselineRedis.quit().catch(() => {});
    await runtime.close();
    await dropSchema(settings.databaseUrl, schema);
  }
}

interface PhaseResult extends PhaseReport {
  durationMs: number;
  jobsPerSecond: number;
  redisCpuMicros: number;
}

/** The rounds of one side as one figure: jobs over time summed; latencies the median round's. */
function combine(phases: PhaseResult[]): SideResult {
  const sum = (pick: (phase: PhaseResult) => number) => phases.reduce((total, phase) => total + pick(phase), 0);
  const median = (pick: (phase: PhaseResult) => number) =>
    phases.map(pick).sort((a, b) => a - b)[Math.floor(phases.length / 2)] ?? 0;
  const last = phases.at(-1);
  const completed = sum((phase) => phase.completed);
  const durationMs = sum((phase) => phase.durationMs);
  const firstFailure = phases.find((phase) => phase.firstFailure !== undefined)?.firstFailure;
  return {
    completed,
    failed: sum((phase) => phase.failed),
    ...(firstFailure !== undefined && { firstFailure }),
    durationMs,
    jobsPerSecond: (completed * 1000) / durationMs,
    roundJobsPerSecond: phases.map((phase) => phase.jobsPerSecond),
    cpuMicrosPerJob: sum((phase) => phase.cpuMicros) / Math.max(1, completed),
    redisCpuMicrosPerJob: sum((phase) => phase.redisCpuMicros) / Math.max(1, completed),
    p50Ms: median((phase) => phase.p50Ms),
    p99Ms: median((phase) => phase.p99Ms),
    maxRssBytes: last?.maxRssBytes ?? 0,
    rssAtCalls: last?.rssAtCalls ?? {},
  };
}

/** Writes the baseline's tokens to a temporary file (removed at exit) and returns its path. */
function tokensFile(tokens: Map<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-cc-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tokens.json');
  writeFileSync(file, JSON.stringify(Object.fromEntries(tokens)), { mode: 0o600 });
  return file;
}

/** One access token per connection for the baseline, fetched before it starts (it has no token logic). */
async function fetchTokens(upstreamUrl: string, connections: number): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (let i = 0; i < connections; i++) {
    const response = await request(`${upstreamUrl}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`bench-${i}:bench-secret-${i}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const { access_token } = (await response.body.json()) as { access_token: string };
    tokens.set(randomUUID(), access_token);
  }
  return tokens;
}

/**
 * Creates the connections through real `connect` jobs (token request and test call included), 50 at a time, for the
 * upstream's clients `bench-<first>` to `bench-<first + connections - 1>`.
 */
export async function connectAll(
  settings: { connections: number; redisUrl: string },
  prefix: string,
  keySpec: string,
  { connector = 'bench', first = 0 }: { connector?: string; first?: number } = {},
): Promise<string[]> {
  const client = createClient({ redisUrl: settings.redisUrl, prefix, encryptionKeys: keySpec, timeoutMs: 60_000 });
  try {
    const ids: string[] = [];
    for (let from = 0; from < settings.connections; from += 50) {
      const batch = Array.from({ length: Math.min(50, settings.connections - from) }, (_, k) => first + from + k);
      const results = await Promise.all(
        batch.map((i) =>
          client.connect({
            owner: OWNER,
            connector,
            fields: { client_id: `bench-${i}`, client_secret: `bench-secret-${i}` },
          }),
        ),
      );
      ids.push(...results.map((result) => result.connectionId));
    }
    return ids;
  } finally {
    await client.close();
  }
}

/** Enqueues `count` calls on the paused queue, resumes it and waits until the worker has finished them all. */
async function drain(
  redis: Redis | Cluster,
  queue: Queue,
  worker: Child,
  count: number,
  connectionIds: readonly string[],
): Promise<PhaseResult> {
  await queue.pause();
  for (let from = 0; from < count; from += ADD_BATCH) {
    const jobs = Array.from({ length: Math.min(ADD_BATCH, count - from) }, (_, k) => {
      const connectionId = connectionIds[(from + k) % connectionIds.length]!;
      const data: CallPayload = { owner: OWNER, connectionId, url: 'items' };
      return { name: CALL_JOB, data };
    });
    await queue.addBulk(jobs);
  }
  const expecting = worker.next('expecting');
  worker.send({ type: 'expect', count });
  await expecting;
  const done = worker.next<PhaseReport>('done', 60_000 + count * 5);
  const redisBefore = await redisCpuMicros(redis);
  const started = Date.now();
  await queue.resume();
  const report = await done;
  const durationMs = Math.max(1, report.lastFinishedOn - started);
  const redisCpu = (await redisCpuMicros(redis)) - redisBefore;
  return { ...report, durationMs, jobsPerSecond: (report.completed * 1000) / durationMs, redisCpuMicros: redisCpu };
}

/** The Redis server's CPU time so far (user + system of its main and background threads), µs. */
async function redisCpuMicros(redis: Redis | Cluster): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6;
}

export interface Child {
  readyMessage: unknown;
  send(message: object): void;
  /** The next message of this type; rejects when the child exits first or after `timeoutMs`. */
  next<T = unknown>(type: string, timeoutMs?: number): Promise<T>;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the child has exited. */
  stop(): Promise<void>;
}

export async function spawnChild(script: string, env: NodeJS.ProcessEnv, nodeArgs: string[]): Promise<Child> {
  const proc: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(String(chunk));
    if (tail.length > 20) tail.shift();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const waiters = new Map<string, Array<(message: unknown) => void>>();
  proc.on('message', (message: ChildMessage | { type: string }) => {
    const waiting = waiters.get(message.type);
    waiting?.shift()?.(message);
  });
  const exited = once(proc, 'exit');
  const next = <T>(type: string, timeoutMs = 120_000) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      const list = waiters.get(type) ?? [];
      list.push((message) => {
        clearTimeout(timer);
        resolve(message as T);
      });
      waiters.set(type, list);
      void exited.then(([code]) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (${code}) before "${type}":\n${tail.join('')}`));
      });
    });
  const readyMessage = await next('ready', 60_000);
  return {
    readyMessage,
    send: (message) => proc.send(message),
    next,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      proc.kill('SIGTERM');
      await exited;
      clearTimeout(kill);
    },
  };
}

/** The cache's version keys live next to the queues, under the prefix: remove them with the queues. */
export async function deleteKeys(redis: Redis | Cluster, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = nextCursor;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await db.end();
  }
}
