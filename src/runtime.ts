/**
 * Builds the running system from a validated config: store, key ring, Redis, queues and the domain services.
 * Every process (worker, scheduler, board, CLI, demo) and the tests start from here, so they agree on everything.
 */
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { type Config, egressAllowedNetworksOf } from './config.js';
import { BudgetGate } from './connections/budgets/gate.js';
import { ConnectionCache } from './connections/cache.js';
import type { Services } from './connections/services.js';
import type { DomainObserver } from './domain/ports.js';
import { createTransport, type HttpTransport } from './http/send.js';
import type { Logger } from './log.js';
import { CALL_EVENTS_MAX_LENGTH, type QueueLayout, queueNames } from './queue/names.js';
import { closeRedis, createRedis, type RedisClient, type RedisTarget } from './queue/redis.js';
import { QueueRenewalScheduler } from './queue/renewals.js';
import { RedisBudgetStore } from './redis/budgets.js';
import { renewalLock } from './redis/lock.js';
import { RedisVersionRegistry } from './redis/versions.js';
import { loadKeyRing } from './secrets/dev-key.js';
import type { KeyRing } from './secrets/keyring.js';
import { TransportKeyRing } from './secrets/transport.js';
import { createStore } from './store/index.js';
import type { Store } from './store/port.js';
import { queueTelemetry } from './telemetry/bullmq.js';
import { instrumentCache, instrumentLock, instrumentStore } from './telemetry/instrument.js';

export interface Runtime {
  config: Config;
  log: Logger;
  store: Store;
  keys: KeyRing;
  /** Shared client connection: locks, cache versions, queues' commands. */
  redis: RedisClient;
  /** Where Redis is, for the processes' own connections (workers need one each). */
  redisTarget: RedisTarget;
  /** How the queues are named and partitioned. */
  layout: QueueLayout;
  /** Every outbound HTTP request of this process goes through it. */
  transport: HttpTransport;
  /**
   * `events` carries connection events, published from the store's outbox (src/events/). `calls` is the first call
   * partition: with the default `CALL_PARTITIONS=1`, the only one.
   */
  queues: { connections: Queue; calls: Queue; events: Queue };
  /** Every call partition, in partition order. */
  callQueues: Queue[];
  /** Every queue: connections, the call partitions, events. */
  allQueues: Queue[];
  services: Services;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Observers for metrics and events. */
  observer?: DomainObserver;
}

/** The lock outlives the slowest token request, so a live holder never loses it mid-request. */
const LOCK_SLACK_MS = 10_000;

/**
 * The outbound transport as every process that reaches providers makes it (workers, the CLI's `connectors try`):
 * trusted CAs and the egress policy from the config; refusals are told to the observer (metrics).
 */
export function createTransportFrom(config: Config, observer: DomainObserver = {}): HttpTransport {
  return createTransport({
    extraCa: config.extraCaCerts ? readFileSync(config.extraCaCerts, 'utf8') : undefined,
    allowedNetworks: egressAllowedNetworksOf(config),
    ...(observer.egressDenied && { onEgressDenied: observer.egressDenied }),
  });
}

export async function createRuntime(config: Config, log: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  const keys = loadKeyRing(
    { encryptionKeys: config.encryptionKeys, nodeEnv: config.nodeEnv, devKeyFile: config.devKeyFile },
    log,
  );
  const observer = options.observer ?? {};
  const transportKeys = config.transportPrivateKeys ? TransportKeyRing.parse(config.transportPrivateKeys) : null;
  const transport = createTransportFrom(config, observer);
  const store = instrumentStore(
    await createStore(config.databaseUrl, { schema: config.databaseSchema }),
    config.databaseUrl,
  );
  await store.migrate();
  const redisTarget = redisTargetOf(config);
  const layout = queueLayoutOf(config);
  const redis = createRedis(redisTarget, 'client', log);
  const producer = createRedis(redisTarget, 'producer', log);
  const queueOptions = { connection: producer, prefix: config.queuePrefix };
  const names = queueNames(layout);
  const callQueues = names.calls.map(
    (name) => new Queue(name, { ...queueOptions, streams: { events: { maxLen: CALL_EVENTS_MAX_LENGTH } } }),
  );
  const queues = {
    connections: new Queue(names.connections, queueOptions),
    calls: callQueues[0] as Queue,
    // Traced: a webhook delivery continues the trace of the publication that queued it.
    events: new Queue(names.events, { ...queueOptions, telemetry: queueTelemetry() }),
  };
  const allQueues = [queues.connections, ...callQueues, queues.events];
  for (const queue of allQueues)
    queue.on('error', (error) => log.warn({ err: { message: error.message } }, 'queue error'));

  const services: Services = {
    store,
    keys,
    transportKeys,
    log,
    settings: {
      tokenRequestTimeoutMs: config.tokenRequestTimeoutMs,
      callTimeoutMs: config.callTimeoutMs,
      callMaxTimeoutMs: config.callMaxTimeoutMs,
      callMaxResponseBytes: config.callMaxResponseBytes,
      renewalCooldownMs: config.renewalCooldownSeconds * 1000,
    },
    transport: transport.send,
    lock: instrumentLock(renewalLock(redis, config.queuePrefix, config.tokenRequestTimeoutMs + LOCK_SLACK_MS)),
    cache: instrumentCache(new ConnectionCache(store, new RedisVersionRegistry(redis, config.queuePrefix))),
    renewals: new QueueRenewalScheduler(queues.connections),
    budgets: new BudgetGate(
      new RedisBudgetStore(redis, { prefix: config.queuePrefix }),
      { maxWaitMs: config.callMaxWaitMs },
      observer,
    ),
    observer,
  };

  return {
    config,
    log,
    store,
    keys,
    redis,
    transport,
    redisTarget,
    layout,
    queues,
    callQueues,
    allQueues,
    services,
    async close() {
      await Promise.allSettled(allQueues.map((queue) => queue.close()));
      await Promise.allSettled([closeRedis(redis), closeRedis(producer), store.close(), transport.close()]);
    },
  };
}

/** Where the config says Redis is. */
export const redisTargetOf = (config: Config): RedisTarget => ({
  url: config.redisUrl,
  ...(config.redisClusterNodes && { clusterNodes: config.redisClusterNodes }),
});

/** The queue layout the config asks for. */
export const queueLayoutOf = (config: Config): QueueLayout => ({
  cluster: config.redisClusterNodes !== undefined,
  callPartitions: config.callPartitions,
});
