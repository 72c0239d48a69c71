/**
 * Starts the BullMQ workers of both queues on a runtime. Used by `workers/worker.ts`, `workers/all.ts` and tests.
 */
import { Worker } from 'bullmq';
import { createProcessor } from '../jobs/index.js';
import { CALLS_QUEUE, CONNECTIONS_QUEUE } from '../src/queue/names.js';
import { createRedis } from '../src/queue/redis.js';
import type { Runtime } from '../src/runtime.js';
import { queueTelemetry } from '../src/telemetry/bullmq.js';
import { consumedQueues } from './consumed-queues.js';
import { startEvents } from './events.js';

export interface RunningWorker {
  workers: Worker[];
  /** Stops taking jobs, lets active ones finish until `deadlineMs`, then closes forcibly (they are recovered as stalled). */
  close(deadlineMs?: number): Promise<void>;
}

export function startWorker(runtime: Runtime): RunningWorker {
  const { config, log, services } = runtime;
  const policy = { maxAttempts: config.jobAttempts, backoffMs: config.jobBackoffMs };
  const retention = {
    removeOnComplete: { count: config.jobRetentionCount, age: config.jobRetentionAgeSeconds },
    removeOnFail: { count: config.jobRetentionCount * 10, age: config.jobRetentionAgeSeconds * 7 },
  };
  const concurrency: Record<string, number> = {
    [CONNECTIONS_QUEUE]: config.workerConcurrencyConnections,
    [CALLS_QUEUE]: config.workerConcurrencyCalls,
  };
  // Events: the outbox publisher, and the webhook sender (a worker like the others) when configured.
  const events = startEvents(runtime);
  const consumed = consumedQueues(runtime);
  const workers = consumed.map(({ kind, queueName }) => {
    const worker = new Worker(queueName, createProcessor(kind, services, policy), {
      connection: createRedis(runtime.redisTarget, 'worker', log),
      prefix: config.queuePrefix,
      concurrency: concurrency[kind],
      lockDuration: config.workerLockDurationMs,
      stalledInterval: config.workerStalledIntervalMs,
      telemetry: queueTelemetry(),
      ...retention,
    });
    worker.on('error', (error) => log.error({ err: { message: error.message }, queue: queueName }, 'worker error'));
    // A lifecycle job, done or failed, has usually stored events: publish them now rather than at the next poll.
    if (kind === CONNECTIONS_QUEUE)
      for (const outcome of ['completed', 'failed'] as const) worker.on(outcome, () => events.publisher.nudge());
    return worker;
  });
  if (events.webhooks) workers.push(events.webhooks);
  log.info({ queues: workers.map((worker) => worker.name), concurrency }, 'worker started');

  return {
    workers,
    async close(deadlineMs = config.shutdownTimeoutMs) {
      const graceful = Promise.all([events.publisher.close(), ...workers.map((worker) => worker.close())]);
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(resolve, deadlineMs, true).unref()),
      ]);
      if (timedOut) {
        log.warn(
          { deadlineMs },
          'active jobs did not finish in time; closing forcibly (they will be recovered as stalled)',
        );
        await Promise.all(workers.map((worker) => worker.close(true)));
      }
    },
  };
}
