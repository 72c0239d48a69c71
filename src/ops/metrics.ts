/**
 * Prometheus metrics (prom-client), one registry per process, served by the operations server at `/metrics`.
 *
 * Where each number comes from, and why:
 * - jobs finished by queue, name and outcome: the queues' event streams (QueueEvents), so the board process counts
 *   the jobs of every worker process once, wherever they ran;
 * - job durations: Worker events of the workers in this process (only the process that ran a job knows when it
 *   started and finished each attempt);
 * - token requests, renewals, lock waits, budget waits, 429 answers and egress refusals: the `DomainObserver` hooks, per
 *   process (renewals are counted by `src/scheduler/metrics.ts` in prom-client's default registry, which `text()`
 *   includes);
 * - queue depths and connections by status: read on each scrape, so they are never stale.
 */
import { type JobType, type Queue, QueueEvents, type Worker } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry, register } from 'prom-client';
import { CONNECTION_EVENT_TYPES, CONNECTION_STATUSES } from '../domain/model.js';
import type { DomainObserver } from '../domain/ports.js';
import { ADDRESS_CLASSES } from '../http/egress.js';
import type { Logger } from '../log.js';
import { CALL_JOB, CONNECTION_JOBS } from '../queue/names.js';
import { closeRedis, createRedis, type RedisTarget } from '../queue/redis.js';
import { renewalMetrics } from '../scheduler/metrics.js';
import type { Store } from '../store/port.js';

const PREFIX = 'oauth_cc_';
/** Job states reported as queue depth. */
const DEPTH_STATES: JobType[] = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'waiting-children',
  'failed',
  'completed',
];
/** Seconds: token requests and API calls take from milliseconds to the 30 s default timeout. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface MetricsOptions {
  /** Also export Node.js process metrics (memory, event loop lag, …). @default true */
  processMetrics?: boolean;
}

/** Where scrape-time gauges read from. */
export interface QueueWatch {
  queues: Queue[];
  /** For the QueueEvents connections (one blocking connection per queue). */
  redisTarget: RedisTarget;
  log: Logger;
}

export interface ScrapeSources {
  queues: Queue[];
  store: Store;
  log: Logger;
}

export class Metrics {
  readonly registry = new Registry();
  /** Plug into `createRuntime(config, log, { observer })`. */
  readonly observer: DomainObserver;
  private readonly jobsFinished: Counter<'queue' | 'name' | 'outcome'>;
  private readonly jobDuration: Histogram<'queue' | 'name' | 'outcome'>;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.jobsFinished = new Counter({
      name: `${PREFIX}jobs_finished_total`,
      help: 'Jobs finished by any worker, by queue, job name and outcome (completed or failed)',
      labelNames: ['queue', 'name', 'outcome'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: `${PREFIX}job_duration_seconds`,
      help: 'Time from start to end of a job attempt that finished, for workers in this process',
      labelNames: ['queue', 'name', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    const tokenRequests = new Counter({
      name: `${PREFIX}token_requests_total`,
      help: 'Token endpoint requests by connector and outcome (ok, permanent, transient)',
      labelNames: ['connector', 'outcome'],
      registers,
    });
    const lockWaits = new Counter({
      name: `${PREFIX}renewal_lock_waits_total`,
      help: 'Renewals that waited for another process holding the single-flight lock instead of asking the provider',
      registers,
    });
    const budgetDelays = new Counter({
      name: `${PREFIX}budget_delays_total`,
      help: 'Calls that waited for a rate budget or concurrency place before sending, by connector, in this process',
      labelNames: ['connector'],
      registers,
    });
    const budgetWaited = new Counter({
      name: `${PREFIX}budget_wait_seconds_total`,
      help: 'Time calls waited for rate budgets and concurrency places, by connector, in this process',
      labelNames: ['connector'],
      registers,
    });
    const answered429 = new Counter({
      name: `${PREFIX}upstream_429_total`,
      help: 'API answers 429 (Too Many Requests) received by calls, by connector, in this process',
      labelNames: ['connector'],
      registers,
    });
    const egressDenied = new Counter({
      name: `${PREFIX}egress_denied_total`,
      help: 'Outbound connection attempts refused by the egress policy (EGRESS_ALLOWED_NETWORKS), by address class',
      labelNames: ['class'],
      registers,
    });
    this.observer = {
      tokenRequested: (connector, outcome) => tokenRequests.inc({ connector, outcome }),
      budgetWaited: (connector, ms) => {
        budgetDelays.inc({ connector });
        budgetWaited.inc({ connector }, ms / 1000);
      },
      rateLimitAnswered: (connector) => answered429.inc({ connector }),
      renewed: renewalMetrics.renewed,
      lockWaited: () => lockWaits.inc(),
      egressDenied: (reason) => egressDenied.inc({ class: knownEgressRefusal(reason) }),
    };
  }

  /** The Prometheus text of this registry and of prom-client's default registry. */
  async text(): Promise<string> {
    const [own, shared] = await Promise.all([this.registry.metrics(), register.metrics()]);
    return own.endsWith('\n') || !shared ? own + shared : `${own}\n${shared}`;
  }

  /** Records the duration of every job attempt the given workers (of this process) finish. */
  observeWorkers(workers: Worker[]): void {
    for (const worker of workers) {
      const record = (
        job: { name: string; processedOn?: number; finishedOn?: number } | undefined,
        outcome: string,
      ) => {
        if (!job?.processedOn) return;
        const seconds = ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000;
        this.jobDuration.observe({ queue: worker.name, name: knownJobName(job.name), outcome }, seconds);
      };
      worker.on('completed', (job) => record(job, 'completed'));
      worker.on('failed', (job) => record(job, 'failed'));
    }
  }

  /**
   * Counts jobs finished anywhere, from the queues' event streams. The events carry the job id only, so the job's
   * name is read from its hash (one HGET, pipelined); a job already removed counts as `unknown`.
   * @returns a function that stops listening
   */
  async watchQueues({ queues, redisTarget, log }: QueueWatch): Promise<() => Promise<void>> {
    const listeners = await Promise.all(
      queues.map(async (queue) => {
        const connection = createRedis(redisTarget, 'worker', log);
        const events = new QueueEvents(queue.name, { connection, prefix: queue.opts.prefix });
        events.on('error', (error) =>
          log.warn({ err: { message: error.message }, queue: queue.name }, 'queue events error'),
        );
        const count = (jobId: string, outcome: string) => {
          void jobName(queue, jobId).then((name) => this.jobsFinished.inc({ queue: queue.name, name, outcome }));
        };
        events.on('completed', ({ jobId }) => count(jobId, 'completed'));
        events.on('failed', ({ jobId }) => count(jobId, 'failed'));
        await events.waitUntilReady();
        return { events, connection };
      }),
    );
    return async () => {
      await Promise.allSettled(listeners.map(({ events }) => events.close()));
      await Promise.allSettled(listeners.map(({ connection }) => closeRedis(connection)));
    };
  }

  /** Queue depths and connections by status, read when Prometheus scrapes. A failed read leaves the gauge empty. */
  collectOnScrape({ queues, store, log }: ScrapeSources): void {
    const registers = [this.registry];
    new Gauge({
      name: `${PREFIX}queue_jobs`,
      help: 'Jobs in each queue by state, read at scrape time',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        try {
          for (const queue of queues) {
            const counts = await queue.getJobCounts(...DEPTH_STATES);
            for (const state of DEPTH_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          }
        } catch (error) {
          log.warn({ err: { message: (error as Error).message } }, 'metrics: could not read queue depths');
        }
      },
    });
    new Gauge({
      name: `${PREFIX}connections`,
      help: 'Connections by status, read at scrape time',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        try {
          const counts = await store.connections.countByStatus();
          for (const status of CONNECTION_STATUSES) this.set({ status }, counts[status] ?? 0);
        } catch (error) {
          log.warn({ err: { message: (error as Error).message } }, 'metrics: could not count connections');
        }
      },
    });
  }
}

/** Every job name the service defines; producers can enqueue any name, and a label may take only these. */
const JOB_NAMES: ReadonlySet<string> = new Set([...CONNECTION_JOBS, CALL_JOB, ...CONNECTION_EVENT_TYPES]);

/** A job name as a label: one of ours, or `unknown`, so a producer cannot create series at will. */
export function knownJobName(name: string | null | undefined): string {
  return name != null && JOB_NAMES.has(name) ? name : 'unknown';
}

async function jobName(queue: Queue, jobId: string): Promise<string> {
  const job = await queue.getJob(jobId).catch(() => undefined);
  return knownJobName(job?.name);
}

const EGRESS_REFUSALS: ReadonlySet<string> = new Set([...ADDRESS_CLASSES, 'plain_http']);

/** An egress refusal's reason as a label: an address class, `plain_http`, or `unknown`. */
function knownEgressRefusal(reason: string): string {
  return EGRESS_REFUSALS.has(reason) ? reason : 'unknown';
}
