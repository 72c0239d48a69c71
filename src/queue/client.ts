/**
 * The producer SDK (the package's main export): enqueue jobs and, if wanted, wait for their results.
 *
 * `connect` seals field values with the worker's transport public key before it is enqueued, each for its connector
 * and field, so the job data in Redis (and on Bull Board) never holds a secret in clear and a producer holds nothing
 * that opens anything; the worker opens what it needs. Payloads are validated with the same zod schemas the worker
 * uses, so a bad payload fails here, before it is enqueued.
 */
import { type JobsOptions, Queue, QueueEvents } from 'bullmq';
import { secretFieldKeys } from '../definitions/fields.js';
import type { ConnectorDefinition } from '../definitions/schema.js';
import { AppError } from '../errors.js';
import { isSealedAtRest, KeyRing } from '../secrets/keyring.js';
import { jobFieldPlace } from '../secrets/places.js';
import { isTransportSealed, parsePublicKey, sealForTransport } from '../secrets/transport.js';
import { filteredBullMqTelemetry, propagatorRegistered } from '../telemetry/bullmq.js';
import { CALL_EVENTS_MAX_LENGTH, type JobName, queueNames } from './names.js';
import { callPartitionOf } from './partition.js';
import { closeRedis, createRedis, type RedisClient } from './redis.js';
import { type JobContract, parsePayload, payloadSchemas } from './schemas.js';
import { waitForJob } from './wait-for-job.js';

export interface ClientOptions {
  /** @default "redis://127.0.0.1:6379" */
  redisUrl?: string;
  /**
   * Seed nodes (`host:port`) of a Redis Cluster, as the worker's REDIS_CLUSTER_NODES; `redisUrl` then only lends its
   * user, password and TLS. Queue names carry hash tags on a cluster.
   */
  clusterNodes?: readonly string[];
  /**
   * Must match the worker's CALL_PARTITIONS: each call goes to its connection's partition. With more than one, the
   * job ids `enqueue('call', …)` returns are `<partition>.<job id>`, which `result` understands. @default 1
   */
  callPartitions?: number;
  /** Must match the worker's QUEUE_PREFIX. @default "bull" */
  prefix?: string;
  /**
   * The workers' transport public key, `<id>:<base64>` (`oauth-cc keys public`), that `connect` seals field values
   * with. Needed by `connect` only: a producer that only tests, refreshes, revokes and calls needs no key.
   */
  transportPublicKey?: string;
  /**
   * Connector definitions this producer knows: for these, `connect` seals only the secret fields; for any other
   * connector it seals every string field (the worker opens those that are not secret).
   */
  connectors?: readonly ConnectorDefinition[];
  /**
   * @deprecated Give `transportPublicKey` instead: this ring opens every stored secret, and a producer should not hold
   * it. Still honoured for one release (with a warning): `connect` then seals with it, bound to connector and field.
   */
  encryptionKeys?: string | KeyRing;
  /** How long the waiting methods wait for a result. @default 60000 */
  timeoutMs?: number;
  /** Extra options for every job added (priority, retention, …). */
  jobOptions?: JobsOptions;
  /**
   * Jobs carry the trace context active when they are added (BullMQ's telemetry, `bullmq-otel`), so the worker's
   * spans join the producer's trace. Needs an OpenTelemetry SDK registered in this process.
   * @default true when an OpenTelemetry propagator is registered when the client is created
   */
  tracing?: boolean;
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

/** How `connect` seals one field value for its place, from the client's options. */
function fieldSealer(options: ClientOptions): (connector: string, field: string, value: string) => Promise<string> {
  if (options.transportPublicKey) {
    const publicKey = parsePublicKey(options.transportPublicKey);
    return (connector, field, value) => sealForTransport(publicKey, { connector, field }, value);
  }
  if (options.encryptionKeys) {
    // Per client, not per process: a producer makes one and keeps it, and a later client would otherwise go unwarned.
    process.emitWarning(
      'createClient: encryptionKeys is deprecated; give transportPublicKey (print it with `oauth-cc keys public`) and take ENCRYPTION_KEYS off this producer',
      { type: 'DeprecationWarning', code: 'OAUTH_CC_ENCRYPTION_KEYS' },
    );
    const keys =
      typeof options.encryptionKeys === 'string' ? KeyRing.parse(options.encryptionKeys) : options.encryptionKeys;
    return async (connector, field, value) => keys.seal(value, jobFieldPlace(connector, field));
  }
  return async () => {
    throw new AppError(
      'invalid_input',
      'invalid_config',
      "transportPublicKey: connect needs it to seal the fields; give createClient the workers' public key (`oauth-cc keys public`)",
    );
  };
}

export function createClient(options: ClientOptions): Client {
  const sealField = fieldSealer(options);
  const secretKeysOf = new Map(options.connectors?.map((definition) => [definition.key, secretFieldKeys(definition)]));
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const prefix = options.prefix ?? 'bull';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const target = { url: redisUrl, ...(options.clusterNodes && { clusterNodes: options.clusterNodes }) };
  const partitions = options.callPartitions ?? 1;
  const names = queueNames({ cluster: options.clusterNodes !== undefined, callPartitions: partitions });
  const connection = createRedis(target, 'producer');
  const telemetry = (options.tracing ?? propagatorRegistered()) ? filteredBullMqTelemetry() : undefined;
  const queues = new Map<string, Queue>();
  const events = new Map<string, { events: QueueEvents; connection: RedisClient; ready: Promise<QueueEvents> }>();

  const queue = (name: string) => {
    let existing = queues.get(name);
    if (!existing) {
      // A call queue's event stream carries results: keep it as short as the workers keep it.
      const streams = names.calls.includes(name) ? { events: { maxLen: CALL_EVENTS_MAX_LENGTH } } : undefined;
      existing = new Queue(name, { connection, prefix, telemetry, ...(streams && { streams }) });
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
      const eventsConnection = createRedis(target, 'worker');
      const listener = new QueueEvents(name, { connection: eventsConnection, prefix });
      listener.on('error', () => {});
      listener.setMaxListeners(0);
      entry = { events: listener, connection: eventsConnection, ready: listener.waitUntilReady().then(() => listener) };
      events.set(name, entry);
    }
    return entry.ready;
  };

  /** Seals the connector's secret fields, or every string field of a connector this client does not know. */
  const seal = async <N extends JobName>(name: N, data: Data<N>): Promise<Data<N>> => {
    if (name !== 'connect') return data;
    const connectData = data as Data<'connect'>;
    const secretKeys = secretKeysOf.get(connectData.connector);
    const fields = { ...connectData.fields };
    for (const [field, value] of Object.entries(fields)) {
      const secret = secretKeys ? secretKeys.includes(field) : true;
      if (secret && typeof value === 'string' && !isTransportSealed(value) && !isSealedAtRest(value))
        fields[field] = await sealField(connectData.connector, field, value);
    }
    return { ...connectData, fields } as Data<N>;
  };

  const enqueue = async <N extends JobName>(name: N, data: Data<N>, jobOptions?: JobsOptions): Promise<string> => {
    const parsed = parsePayload<unknown>(payloadSchemas[name], data, name) as Data<N>;
    const partition = name === 'call' ? callPartitionOf((parsed as Data<'call'>).connectionId, partitions) : 0;
    const queueName = name === 'call' ? (names.calls[partition] as string) : names.connections;
    const job = await queue(queueName).add(name, await seal(name, parsed), {
      ...options.jobOptions,
      ...jobOptions,
    });
    return name === 'call' && partitions > 1 ? `${partition}.${job.id}` : (job.id as string);
  };

  const result = async <N extends JobName>(name: N, id: string, wait = timeoutMs): Promise<Result<N>> => {
    const { queueName, jobId } = locate(name, id);
    const listener = await queueEvents(queueName);
    const jobs = queue(queueName);
    const job = await jobs.getJob(jobId);
    if (!job) throw new AppError('not_found', 'not_found', `job ${id} not found`);
    return (await waitForJob(jobs, job, listener, wait)) as Result<N>;
  };

  /** The queue and BullMQ job id behind an id returned by `enqueue`. */
  const locate = (name: JobName, id: string) => {
    if (name !== 'call') return { queueName: names.connections, jobId: id };
    if (partitions === 1) return { queueName: names.calls[0] as string, jobId: id };
    const dot = id.indexOf('.');
    const queueName = names.calls[Number(id.slice(0, dot))];
    if (dot < 1 || !queueName) {
      throw new AppError(
        'invalid_input',
        'invalid_job_id',
        `job id "${id}" must be <partition>.<job id>, as enqueue returns it`,
      );
    }
    return { queueName, jobId: id.slice(dot + 1) };
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
      await Promise.allSettled([
        closeRedis(connection),
        ...[...events.values()].map(({ connection: c }) => closeRedis(c)),
      ]);
    },
  };
}
