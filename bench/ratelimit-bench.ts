/**
 * The rate budget benchmark, as a function (`bench/ratelimit.ts` is its command line). It reuses the call
 * benchmark's machinery (`call-bench.ts`: child processes, connect jobs, clean-up) and its worker (`call-worker.ts`:
 * the real worker entry).
 *
 * Layout: the upstream (`ratelimit-upstream.ts`: token provider and an API that allows `apiPerSecond` requests per
 * second per connection with a burst of `apiBurst`, 429 with `Retry-After` beyond) in its own process; `workers`
 * worker processes; this process enqueues and counts finished jobs from the queue's events.
 *
 * Scenario 1, three runs of `calls` calls over `connections` fresh connections each, every call enqueued at once:
 * no declaration (only 429 and `Retry-After` to learn from), a declared budget equal to the API's rate, and no
 * declaration with the API sending `RateLimit-Policy` / `RateLimit` headers.
 * Scenario 2 (fairness), connector with a declared budget of `busyPerSecond`: `otherCalls` calls over
 * `otherConnections` connections alone; then again while one busy connection has `busyCalls` calls queued.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { Job, type Queue, QueueEvents } from 'bullmq';
import { loadConfig } from '../src/config.js';
import type { RateLimitDefinition } from '../src/definitions/schema.js';
import { createLogger } from '../src/log.js';
import { CALL_JOB } from '../src/queue/names.js';
import { createRedis } from '../src/queue/redis.js';
import type { CallPayload } from '../src/queue/schemas.js';
import { settledWithin } from '../src/queue/wait-for-job.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { KeyRing } from '../src/secrets/keyring.js';
import type { LimitedApiOptions } from '../test/budgets/limited-api.js';
import { providerConnector } from '../test/support/connectors.js';
import { type Child, connectAll, dropSchema, OWNER, spawnChild } from './call-bench.js';
import { deleteKeys } from './redis-nodes.js';

export interface RateLimitBenchOptions {
  /** Calls per run of scenario 1, all enqueued at once. @default 20000 */
  calls?: number;
  /** Connections per run of scenario 1. @default 20 */
  connections?: number;
  /** What the API allows per connection. @default 50 requests per second, burst 10 */
  apiPerSecond?: number;
  apiBurst?: number;
  /** Worker processes. @default 2 */
  workers?: number;
  /** Scenario 2: calls queued for the busy connection, and its declared budget per second. @default 10000, 10 */
  busyCalls?: number;
  busyPerSecond?: number;
  /** Scenario 2: the other connections and their calls. @default 100, 2000 */
  otherConnections?: number;
  otherCalls?: number;
  /** @default process.env.REDIS_URL ?? "redis://127.0.0.1:6379" */
  redisUrl?: string;
  /** PostgreSQL; the benchmark uses (and drops) its own schema. @default process.env.DATABASE_URL ?? local */
  databaseUrl?: string;
  /** Receives progress lines. @default none */
  progress?: (line: string) => void;
}

export interface Outcome {
  completed: number;
  failed: number;
  firstFailure?: string;
  /** From the moment the calls could start to the last one finished. */
  durationMs: number;
}

export interface RunResult extends Outcome {
  name: string;
  calls: number;
  /** Requests the API accepted and answered 429. */
  accepted: number;
  rejected: number;
  /** Requests the API allows over the run's duration: connections × (perSecond × seconds + burst). */
  allowance: number;
}

export interface RateLimitBenchResult {
  options: Required<Omit<RateLimitBenchOptions, 'progress'>>;
  machine: string;
  runs: RunResult[];
  fairness: { alone: Outcome; withBusy: Outcome; busyQueuedMs: number };
}

type Settings = RateLimitBenchResult['options'];

export async function runRateLimitBench(options: RateLimitBenchOptions = {}): Promise<RateLimitBenchResult> {
  const settings: Settings = {
    calls: options.calls ?? 20_000,
    connections: options.connections ?? 20,
    apiPerSecond: options.apiPerSecond ?? 50,
    apiBurst: options.apiBurst ?? 10,
    workers: options.workers ?? 2,
    busyCalls: options.busyCalls ?? 10_000,
    busyPerSecond: options.busyPerSecond ?? 10,
    otherConnections: options.otherConnections ?? 100,
    otherCalls: options.otherCalls ?? 2_000,
    redisUrl: options.redisUrl ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    databaseUrl: options.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  };
  const progress = options.progress ?? (() => {});
  const id = randomBytes(4).toString('hex');
  const prefix = `benchrl${id}`;
  const schema = `bench_rl_${id}`;
  const keySpec = KeyRing.generateKey('bench');
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    // The benchmark's upstream runs on this machine, which production's egress policy refuses by default.
    EGRESS_ALLOWED_NETWORKS: '127.0.0.0/8',
    REDIS_URL: settings.redisUrl,
    DATABASE_URL: settings.databaseUrl,
    DATABASE_SCHEMA: schema,
    QUEUE_PREFIX: prefix,
    ENCRYPTION_KEYS: keySpec,
    LOG_LEVEL: 'warn',
    // The busy connection's calls stay queued (delayed) for the whole of scenario 2 instead of failing.
    CALL_MAX_WAIT_MS: String(3_600_000),
  };
  const clients = 3 * settings.connections + 1 + settings.otherConnections;
  const children: Child[] = [];
  const upstream = await spawnChild(
    'bench/ratelimit-upstream.ts',
    { ...process.env, BENCH_CLIENTS: String(clients) },
    [],
  );
  children.push(upstream);
  const { providerUrl, apiUrl } = upstream.readyMessage as { providerUrl: string; apiUrl: string };
  const runtime = await createRuntime(loadConfig(env), createLogger({ level: 'silent' }));
  const events = new Finished(runtime, settings.redisUrl);
  const api = { perSecond: settings.apiPerSecond, burst: settings.apiBurst };
  try {
    await events.ready();
    const apply = (key: string, rateLimits?: RateLimitDefinition[]) =>
      runtime.services.cache.applyConnector(
        providerConnector(providerUrl, {
          key,
          allowedUrls: [`${providerUrl}/api/`, `${apiUrl}/`],
          ...(rateLimits && { rateLimits }),
        }),
      );
    await apply('bench');
    await apply('declared', [{ requests: settings.apiPerSecond, perSeconds: 1 }]);
    await apply('paced', [{ requests: settings.busyPerSecond, perSeconds: 1 }]);
    for (let i = 0; i < settings.workers; i++)
      children.push(await spawnChild('bench/call-worker.ts', { ...process.env, ...env }, []));
    const connect = (connector: string, count: number, first: number) =>
      connectAll({ connections: count, redisUrl: settings.redisUrl }, prefix, keySpec, { connector, first });
    const reset = async (changes: Partial<LimitedApiOptions>) => {
      const done = upstream.next('reset');
      upstream.send({ type: 'reset', options: { ...api, ...changes } });
      await done;
    };
    const stats = async () => {
      const answer = upstream.next<{ ok: number; rejected: number }>('stats');
      upstream.send({ type: 'stats' });
      return answer;
    };

    const runs: RunResult[] = [];
    const plans = [
      { name: 'no budget', connector: 'bench', rateLimitHeaders: false },
      { name: 'declared budget', connector: 'declared', rateLimitHeaders: false },
      { name: 'learned (RateLimit headers)', connector: 'bench', rateLimitHeaders: true },
    ];
    for (const [index, plan] of plans.entries()) {
      const ids = await connect(plan.connector, settings.connections, index * settings.connections);
      await reset({ rateLimitHeaders: plan.rateLimitHeaders });
      progress(`${plan.name}: ${settings.calls} calls over ${settings.connections} connections`);
      const outcome = await events.run(runtime.queues.calls, calls(settings.calls, ids, apiUrl));
      const { ok, rejected } = await stats();
      const allowance =
        settings.connections * ((settings.apiPerSecond * outcome.durationMs) / 1000 + settings.apiBurst);
      runs.push({ name: plan.name, calls: settings.calls, accepted: ok, rejected, allowance, ...outcome });
      progress(`${plan.name}: ${Math.round(outcome.durationMs)} ms, ${rejected} answered 429`);
    }

    const [busy, ...others] = await connect('paced', settings.otherConnections + 1, 3 * settings.connections);
    await reset({ rateLimitHeaders: false });
    progress(`fairness: ${settings.otherCalls} calls over ${settings.otherConnections} connections, alone`);
    const alone = await events.run(runtime.queues.calls, calls(settings.otherCalls, others, apiUrl));
    progress(`fairness: ${settings.busyCalls} calls queued for one connection at ${settings.busyPerSecond}/s`);
    const busyQueuedMs = await queueAll(runtime.queues.calls, calls(settings.busyCalls, [busy as string], apiUrl));
    const withBusy = await events.run(runtime.queues.calls, calls(settings.otherCalls, others, apiUrl));
    return {
      options: settings,
      machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`,
      runs,
      fairness: { alone, withBusy, busyQueuedMs },
    };
  } finally {
    await Promise.allSettled(children.map((child) => child.stop()));
    await events.close();
    for (const queue of Object.values(runtime.queues)) await queue.obliterate({ force: true }).catch(() => {});
    await deleteKeys(runtime.redis, prefix);
    await runtime.close();
    await dropSchema(settings.databaseUrl, schema);
  }
}

/** `count` call jobs spread round robin over the connections, to the API's `/items/<n>`. */
function calls(count: number, connectionIds: readonly string[], apiUrl: string) {
  return Array.from({ length: count }, (_, n) => {
    const data: CallPayload = {
      owner: OWNER,
      connectionId: connectionIds[n % connectionIds.length] as string,
      url: `${apiUrl}/items/${n}`,
    };
    return { name: CALL_JOB, data };
  });
}

/** Adds the jobs on the paused queue, resumes it, and resolves (with the time taken) once no job waits any more. */
async function queueAll(queue: Queue, jobs: Array<{ name: string; data: CallPayload }>): Promise<number> {
  await queue.pause();
  for (let from = 0; from < jobs.length; from += 1000) await queue.addBulk(jobs.slice(from, from + 1000));
  const started = Date.now();
  await queue.resume();
  while ((await queue.getWaitingCount()) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  return Date.now() - started;
}

/** A spell without events after which the running jobs are looked at directly. */
const QUIET_MS = 2_000;

/** Counts finished call jobs from the queue's events stream (every worker process's), by job id. */
class Finished {
  private readonly connection;
  private readonly events: QueueEvents;
  private waiting: { ids: Set<string>; outcome: Outcome; done: () => void; lastAt: number } | null = null;
  /** When this listener last heard of a job finishing. */
  private heardAt = 0;
  private lastFinishedAt: number | undefined;

  constructor(runtime: Runtime, redisUrl: string) {
    this.connection = createRedis(redisUrl, 'worker');
    this.events = new QueueEvents(runtime.queues.calls.name, {
      connection: this.connection,
      prefix: runtime.config.queuePrefix,
    });
    this.events.on('completed', ({ jobId }) => this.finished(jobId));
    this.events.on('failed', ({ jobId, failedReason }) => this.finished(jobId, failedReason));
  }

  ready(): Promise<void> {
    return this.events.waitUntilReady().then(() => {});
  }

  /**
   * Enqueues the jobs on the paused queue, resumes it, and resolves when all of them have finished. The call queue's
   * event stream is short (`CALL_EVENTS_MAX_LENGTH`): when the first pass over 20,000 jobs floods it, this listener
   * can miss `completed` events, so after a quiet spell the jobs still counted as running are looked at directly.
   */
  async run(queue: Queue, jobs: Array<{ name: string; data: CallPayload }>): Promise<Outcome> {
    await queue.pause();
    const ids = new Set<string>();
    for (let from = 0; from < jobs.length; from += 1000) {
      for (const job of await queue.addBulk(jobs.slice(from, from + 1000))) ids.add(job.id as string);
    }
    const outcome: Outcome = { completed: 0, failed: 0, durationMs: 0 };
    const started = Date.now();
    const finished = new Promise<void>((done) => {
      this.waiting = { ids, outcome, done, lastAt: started };
    });
    this.heardAt = started;
    await queue.resume();
    while (!(await settledWithin(finished, QUIET_MS))) {
      if (Date.now() - this.heardAt >= QUIET_MS) await this.lookAtRunning(queue);
    }
    outcome.durationMs = (this.lastFinishedAt ?? Date.now()) - started;
    return outcome;
  }

  /** Counts the jobs that finished without their event reaching this listener, at the time they finished. */
  private async lookAtRunning(queue: Queue): Promise<void> {
    const running = [...(this.waiting?.ids ?? [])];
    for (let from = 0; from < running.length; from += 500) {
      const chunk = running.slice(from, from + 500);
      const jobs = await Promise.all(chunk.map((id) => Job.fromId(queue, id)));
      chunk.forEach((id, i) => {
        const job = jobs[i];
        // Gone: finished and trimmed by JOB_RETENTION_COUNT, so a thousand later jobs finished after it.
        if (!job) this.finished(id, undefined, 0);
        else if (job.finishedOn) {
          const failed = job.returnvalue == null && Boolean(job.failedReason);
          this.finished(id, failed ? job.failedReason : undefined, job.finishedOn);
        }
      });
    }
  }

  private finished(jobId: string, failure?: string, at = Date.now()): void {
    this.heardAt = Date.now();
    const waiting = this.waiting;
    if (!waiting?.ids.delete(jobId)) return;
    waiting.lastAt = Math.max(waiting.lastAt, at);
    if (failure === undefined) waiting.outcome.completed++;
    else {
      waiting.outcome.failed++;
      waiting.outcome.firstFailure ??= failure;
    }
    if (waiting.ids.size === 0) {
      this.waiting = null;
      this.lastFinishedAt = waiting.lastAt;
      waiting.done();
    }
  }

  async close(): Promise<void> {
    await this.events.close().catch(() => {});
    await this.connection.quit().catch(() => {});
  }
}
