/**
 * Starts connection events in a worker process: the outbox publisher always, and the webhook sender when
 * `WEBHOOK_URL` is set.
 */
import { Worker } from 'bullmq';
import { webhookProcessor } from '../jobs/webhook.js';
import { EventPublisher } from '../src/events/publisher.js';
import { createRedis } from '../src/queue/redis.js';
import type { Runtime } from '../src/runtime.js';
import { queueTelemetry } from '../src/telemetry/bullmq.js';

/** Webhook deliveries in flight per worker process. */
const WEBHOOK_CONCURRENCY = 10;

export interface RunningEvents {
  publisher: EventPublisher;
  /** The webhook sender, when configured. */
  webhooks: Worker | null;
  close(): Promise<void>;
}

export function startEvents(runtime: Runtime): RunningEvents {
  const { config, log, store, queues } = runtime;
  const publisher = new EventPublisher(store.outbox, queues.events, log, {
    retentionCount: config.eventsRetentionCount,
    pollMs: config.eventsPollMs,
  });
  publisher.start();
  const webhooks = config.webhookUrl ? startWebhooks(runtime, config.webhookUrl) : null;
  return {
    publisher,
    webhooks,
    async close() {
      await Promise.all([publisher.close(), webhooks?.close()]);
    },
  };
}

function startWebhooks(runtime: Runtime, url: string): Worker {
  const { config, log } = runtime;
  if (!config.webhookSecret) log.warn('WEBHOOK_SECRET is not set: webhook deliveries are not signed');
  const processor = webhookProcessor(
    { transport: runtime.transport.send, url, secret: config.webhookSecret },
    { retryForMs: config.webhookRetrySeconds * 1000, backoffMs: config.jobBackoffMs },
    log,
  );
  const worker = new Worker(runtime.queues.events.name, processor, {
    connection: createRedis(runtime.redisTarget, 'worker', log),
    prefix: config.queuePrefix,
    concurrency: WEBHOOK_CONCURRENCY,
    removeOnComplete: { count: config.eventsRetentionCount },
    removeOnFail: { count: config.eventsRetentionCount },
    telemetry: queueTelemetry(),
  });
  worker.on('error', (error) => log.error({ err: { message: error.message }, queue: worker.name }, 'worker error'));
  return worker;
}
