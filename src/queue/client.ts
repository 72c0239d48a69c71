/**
 * The producer SDK (the package's main export): enqueue jobs and, if wanted, wait for their results.
 *
 * `connect` seals every string field value with the key ring before it is enqueued, so the job data in Redis (and on
 * Bull Board) never holds a secret in clear; the worker opens what it needs. Payloads are validated with the same zod
 * schemas the worker uses, so a bad payload fails here, before it is enqueued.
 */
import { type JobsOptions, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { KeyRing } from '../secrets/keyring.js';
import { CALLS_QUEUE, CONNECTIONS_QUEUE, type JobName } from './names.js';
import { createRedis } from './redis.js';
import { type JobContract, parsePayload, payloadSchemas } from './schemas.js';

export interface ClientOptions {
  /** @default "redis://127.0.0.1:6379" */
  redisUrl?: string;
  /** Must match the worker's QUEUE_PREFIX. @default "bull" */
  prefix?: string;
  /** The key ring (ENCRYPTION_KEYS) used to seal secret field values; the worker must hold the same keys. */
  encryptionKeys: string | KeyRing;
  /** How long the waiting methods wait for a result. @default 60000 */
  timeoutMs?: number;
  /** Extra options for every job added (priority, retention, …). */
  jobOptions?: JobsOptions;
}

type Data<N extends JobName> = JobContract[N]['data'];
type Result<N extends JobName> = JobContract[N]['result'];

export interface Client {
  connect(data: Data<'connect'>): Promise<Result<'connect'>>;
  test(data: Data<'test'>): Promise<Result<'test'>>;
  refresh(data: Data<'refresh'>): Promise<Result<'refresh'>>;
  revoke(data: Data<'revoke'>): Promise<Result<'revoke'>>;
  call(data: Data<'call'>): Promise<Result<'call'>>;
  /** Enqueues only; resolves to the job id. */
  enqueue<N extends JobName>(name: N, data: Data<N>, options?: JobsOptions): Promise<string>;
  /** Waits for a job's result (throws its failure reason). */
  result<N extends JobName>(name: N, jobId: string, timeoutMs?: number): Promise<Result<N>>;
  close(): Promise<void>;
}

const queueOf = (name: JobName) => (name === 'call' ? CALLS_QUEUE : CONNECTIONS_QUEUE);

export function createClient(options: ClientOptions): Client {
  const keys =
    typeof options.encryptionKeys === 'string' ? KeyRing.parse(options.encryptionKeys) : options.encryptionKeys;
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const prefix = options.prefix ?? 'bull';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const connection = createRedis(redisUrl, 'producer');
  const queues = new Map<string, Queue>();
  const events = new Map<string, { events: QueueEvents; connection: Redis; ready: Promise<QueueEvents> }>();

  const queue = (name: string) => {
    let existing = queues.get(name);
    if (!existing) {
      existing = new Queue(name, { connection, prefix });
      existing.on('error', () => {});
      // Every waiting call listens for the queue's closing: many at once is the normal case.
      existing.setMaxListeners(0);
      queues.set(name, existing);
    }
    return existing;
  };
  // One QueueEvents per queue, shared by every waiting call, created on first use. The map holds the ready promise,
  // so that concurrent first callers all wait until it listens (an event before that would be missed).
  const queueEvents = (name: string): Promise<QueueEvents> => {
    let entry = events.get(name);
    if (!entry) {
      const eventsConnection = createRedis(redisUrl, 'worker');
      const listener = new QueueEvents(name, { connection: eventsConnection, prefix });
      listener.on('error', () => {});
      listener.setMaxListeners(0);
      entry = { events: listener, connection: eventsConnection, ready: listener.waitUntilReady().then(() => listener) };
      events.set(name, entry);
    }
    return entry.ready;
  };

  const seal = <N extends JobName>(name: N, data: Data<N>): Data<N> => {
    if (name !== 'connect') return data;
    const connectData = data as Data<'connect'>;
    const fields = Object.fromEntries(
      Object.entries(connectData.fields).map(([key, value]) => [
        key,
        typeof value === 'string' && !keys.isSealed(value) ? keys.seal(value) : value,
      ]),
    );
    return { ...connectData, fields } as Data<N>;
  };

  const enqueue = async <N extends JobName>(name: N, data: Data<N>, jobOptions?: JobsOptions): Promise<string> => {
    const parsed = parsePayload<unknown>(payloadSchemas[name], data, name) as Data<N>;
    const job = await queue(queueOf(name)).add(name, seal(name, parsed), {
      ...options.jobOptions,
      ...jobOptions,
    });
    return job.id as string;
  };

  const result = async <N extends JobName>(name: N, jobId: string, wait = timeoutMs): Promise<Result<N>> => {
    const queueName = queueOf(name);
    const listener = await queueEvents(queueName);
    const job = await queue(queueName).getJob(jobId);
    if (!job) throw new AppError('not_found', 'not_found', `job ${jobId} not found`);
    return (await job.waitUntilFinished(listener, wait)) as Result<N>;
  };

  const run = async <N extends JobName>(name: N, data: Data<N>) => result(name, await enqueue(name, data));

  return {
    connect: (data) => run('connect', data),
    test: (data) => run('test', data),
    refresh: (data) => run('refresh', data),
    revoke: (data) => run('revoke', data),
    call: (data) => run('call', data),
    enqueue,
    result,
    async close() {
      await Promise.allSettled([...events.values()].map(({ events: listener }) => listener.close()));
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      await Promise.allSettled([connection.quit(), ...[...events.values()].map(({ connection: c }) => c.quit())]);
    },
  };
}
