/**
 * The `call` throughput benchmark, as a function so that the smoke test runs the same code path
 * with small numbers. `bench/call.ts` is the command line around it.
 *
 * Layout, the same for both sides: this process enqueues and waits; the upstream API (`call-upstream.ts`) runs in
 * its own process; each side's worker runs in its own child process (`call-baseline-worker.ts`, `call-worker.ts`)
 * with the same concurrency, retention and probe; both workers run from the start, the idle one waits on Redis. The
 * connections are written to the store directly (`seed-connections.ts`), and both sides use the same ids and tokens.
 * Each side drains `warmup` jobs, then `rounds` times the measured `calls` jobs, sides alternating; calls go round
 * robin over the connections, continuing from phase to phase, so that every connection is used. Every phase's jobs
 * are enqueued up front with `addBulk` on paused queues; its clock starts at `resume` and stops at the last
 * `finishedOn`.
 *
 * With `clusterNodes`, our side runs on that Redis Cluster with `callPartitions` call queues; the baseline stays on
 * the single Redis, as the yardstick of the machine's speed during the run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createClient } from '../src/queue/client.js';
import { CALL_JOB, CALLS_QUEUE } from '../src/queue/names.js';
import { callPartitionOf } from '../src/queue/partition.js';
import { createRedis, type RedisClient } from '../src/queue/redis.js';
import type { CallPayload } from '../src/queue/schemas.js';
import { createRuntime } from '../src/runtime.js';
import { KeyRing } from '../src/secrets/keyring.js';
import { providerConnector } from '../test/support/connectors.js';
import type { ChildMessage, PhaseReport } from './call-probe.js';
import { findPostmaster, postgresCpuMicros } from './postgres-cpu.js';
import { deleteKeys, keySpread, type NodeKeys, redisCpuMicros } from './redis-nodes.js';
import { seedConnections } from './seed-connections.js';
import type { StoreCounts } from './store-counter.js';
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
  /** Seed nodes (`host:port`) of a Redis Cluster for our side (REDIS_CLUSTER_NODES). @default single Redis */
  clusterNodes?: string[];
  /**
   * Call queues of our side (CALL_PARTITIONS). Each partition's worker runs `concurrency / callPartitions` calls at
   * once, so that both sides keep the same number of calls in flight. @default 1
   */
  callPartitions?: number;
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
  /** PostgreSQL server CPU time per measured job, µs; null when the server is not a process of this machine. */
  postgresCpuMicrosPerJob: number | null;
  /** Job processing time (finishedOn − processedOn), median over the rounds. */
  p50Ms: number;
  p99Ms: number;
  maxRssBytes: number;
  /** RSS after a full GC when the worker had finished that many calls (warm-up included). */
  rssAtCalls: Record<number, number>;
  heapAtCalls: PhaseReport['heapAtCalls'];
  /** RSS after a full GC at the end of the warm-up, and at the end of the last round. */
  rssAfterWarmupBytes: number;
  rssAtEndBytes: number;
  /** Store operations per measured job, by operation (`connections.get`, …); empty for the baseline. */
  storeOperationsPerJob: StoreCounts;
}

export interface CallBenchResult {
  options: Required<Omit<CallBenchOptions, 'profileDir' | 'progress' | 'tracingRatio' | 'clusterNodes'>> & {
    tracingRatio: number | null;
    clusterNodes: string[] | null;
  };
  machine: string;
  baseline: SideResult;
  ours: SideResult;
  /** ours / baseline jobs per second. */
  ratio: number;
  /** Requests that reached the upstream's token endpoint after the connections were made: calls should make none. */
  tokenRequests: number;
  /** Where our side's keys were at the end of the last round, master by master. */
  keys: NodeKeys[];
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
    clusterNodes: options.clusterNodes ?? null,
    callPartitions: options.callPartitions ?? 1,
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
    // The benchmark's upstream runs on this machine, which production's egress policy refuses by default.
    EGRESS_ALLOWED_NETWORKS: '127.0.0.0/8',
    REDIS_URL: settings.redisUrl,
    DATABASE_URL: settings.databaseUrl,
    DATABASE_SCHEMA: schema,
    QUEUE_PREFIX: prefix,
    ENCRYPTION_KEYS: keySpec,
    LOG_LEVEL: 'info',
    WORKER_CONCURRENCY_CALLS: String(Math.ceil(settings.concurrency / settings.callPartitions)),
    CALL_PARTITIONS: String(settings.callPartitions),
    ...(settings.clusterNodes && { REDIS_CLUSTER_NODES: settings.clusterNodes.join(',') }),
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
    const definition = providerConnector(upstreamUrl, { key: 'bench' });
    await runtime.services.cache.applyConnector(definition);
    progress(`upstream at ${upstreamUrl}; writing ${settings.connections} connections to the store`);
    const tokens = await seedConnections(runtime, definition, OWNER, upstreamUrl, settings.connections);
    upstream.send({ type: 'reset' });
    const connectionIds = [...tokens.keys()];
    const postmaster = await findPostmaster(settings.databaseUrl);
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
    const sides: Side[] = [
      {
        queues: [baselineQueue],
        redis: baselineRedis,
        worker: baselineWorker,
        ids: connectionIds,
        next: 0,
        phases: [],
        postmaster,
      },
      { queues: runtime.callQueues, redis: runtime.redis, worker, ids: connectionIds, next: 0, phases: [], postmaster },
    ];
    const warmups: PhaseResult[] = [];
    for (const side of sides) warmups.push(await drain(side, settings.warmup));
    // Rounds alternate between the sides, so that both see the same background load.
    for (let round = 1; round <= settings.rounds; round++) {
      for (const side of sides) side.phases.push(await drain(side, settings.calls));
      const [b, o] = sides.map((side) => side.phases.at(-1)!.jobsPerSecond) as [number, number];
      progress(`round ${round}: baseline ${Math.round(b)} jobs/s, oauth-cc-worker ${Math.round(o)} jobs/s`);
    }
    upstream.send({ type: 'stats' });
    const { tokenRequests } = await upstream.next<{ tokenRequests: number }>('stats');
    const [baseline, ours] = sides.map((side, i) => combine(warmups[i]!, side.phases)) as [SideResult, SideResult];
    const keys = await keySpread(runtime.redis, prefix);
    return {
      options: settings,
      machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`,
      baseline,
      ours,
      ratio: ours.jobsPerSecond / baseline.jobsPerSecond,
      tokenRequests,
      keys,
      traces: sink?.received() ?? null,
    };
  } finally {
    await Promise.allSettled(children.map((child) => child.stop()));
    await sink?.close();
    await baselineQueue.obliterate({ force: true }).catch(() => {});
    for (const queue of runtime.allQueues) await queue.obliterate({ force: true }).catch(() => {});
    await deleteKeys(runtime.redis, prefix);
    await deleteKeys(baselineRedis, `${prefix}b`);
    await baselineQueue.close();
    await baselineRedis.quit().catch(() => {});
    await runtime.close();
    await dropSchema(settings.databaseUrl, schema);
  }
}

/** One side of the benchmark: its queues (one per partition), their Redis, its worker and its round robin. */
interface Side {
  queues: Queue[];
  redis: RedisClient;
  worker: Child;
  ids: readonly string[];
  /** Index in `ids` of the next call's connection. */
  next: number;
  phases: PhaseResult[];
  /** The PostgreSQL server's pid when it runs on this machine. */
  postmaster: number | null;
}

interface PhaseResult extends PhaseReport {
  durationMs: number;
  jobsPerSecond: number;
  redisCpuMicros: number;
  postgresCpuMicros: number | null;
}

/** The rounds of one side as one figure: jobs over time summed; latencies the median round's. */
function combine(warmup: PhaseResult, phases: PhaseResult[]): SideResult {
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
    postgresCpuMicrosPerJob: phases.every((phase) => phase.postgresCpuMicros !== null)
      ? sum((phase) => phase.postgresCpuMicros ?? 0) / Math.max(1, completed)
      : null,
    p50Ms: median((phase) => phase.p50Ms),
    p99Ms: median((phase) => phase.p99Ms),
    maxRssBytes: last?.maxRssBytes ?? 0,
    rssAtCalls: last?.rssAtCalls ?? {},
    heapAtCalls: last?.heapAtCalls ?? {},
    rssAfterWarmupBytes: warmup.rssBytes,
    rssAtEndBytes: last?.rssBytes ?? 0,
    storeOperationsPerJob: perJob(phases, completed),
  };
}

/** Store operations over the phases, divided by the jobs. */
function perJob(phases: PhaseResult[], jobs: number): StoreCounts {
  const totals: StoreCounts = {};
  for (const phase of phases)
    for (const [operation, count] of Object.entries(phase.storeOperations))
      totals[operation] = (totals[operation] ?? 0) + count;
  return Object.fromEntries(Object.entries(totals).map(([operation, count]) => [operation, count / Math.max(1, jobs)]));
}

/** Writes the baseline's tokens to a temporary file (removed at exit) and returns its path. */
function tokensFile(tokens: Map<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-cc-bench-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tokens.json');
  writeFileSync(file, JSON.stringify(Object.fromEntries(tokens)), { mode: 0o600 });
  return file;
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

/**
 * Enqueues `count` calls on the side's paused queues, each in its connection's partition, resumes them and waits
 * until the worker has finished them all.
 */
async function drain(side: Side, count: number): Promise<PhaseResult> {
  const { queues, worker, redis, ids, postmaster } = side;
  await Promise.all(queues.map((queue) => queue.pause()));
  for (let from = 0; from < count; from += ADD_BATCH) {
    const batches = queues.map(() => [] as Array<{ name: string; data: CallPayload }>);
    for (let k = 0; k < Math.min(ADD_BATCH, count - from); k++) {
      const connectionId = ids[side.next]!;
      side.next = (side.next + 1) % ids.length;
      batches[callPartitionOf(connectionId, queues.length)]!.push({
        name: CALL_JOB,
        data: { owner: OWNER, connectionId, url: 'items' },
      });
    }
    await Promise.all(queues.map((queue, partition) => queue.addBulk(batches[partition]!)));
  }
  const expecting = worker.next('expecting');
  worker.send({ type: 'expect', count });
  await expecting;
  const done = worker.next<PhaseReport>('done', 60_000 + count * 5);
  const redisBefore = await redisCpuMicros(redis);
  const postgresBefore = postmaster === null ? null : postgresCpuMicros(postmaster);
  const started = Date.now();
  await Promise.all(queues.map((queue) => queue.resume()));
  const report = await done;
  const durationMs = Math.max(1, report.lastFinishedOn - started);
  const redisCpu = (await redisCpuMicros(redis)) - redisBefore;
  const postgresCpu =
    postmaster === null || postgresBefore === null ? null : postgresCpuMicros(postmaster) - postgresBefore;
  return {
    ...report,
    durationMs,
    jobsPerSecond: (report.completed * 1000) / durationMs,
    redisCpuMicros: redisCpu,
    postgresCpuMicros: postgresCpu,
  };
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
      const timer = setTimeout(
        () => reject(new Error(`${script}: no "${type}" within ${timeoutMs} ms; its last output:\n${tail.join('')}`)),
        timeoutMs,
      );
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

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await db.end();
  }
}
