/**
 * The scheduler process's work: a node-cron task that sweeps for due renewals on every tick, under the cluster lock.
 * Used by `workers/scheduler.ts` and by the all-in-one process.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { ATTR } from '../telemetry/attributes.js';
import { inSpan } from '../telemetry/tracing.js';
import { SweepLock } from './lock.js';
import { type SweepResult, type SweepSettings, sweepDue } from './sweep.js';

export interface SchedulerOptions {
  /** When to sweep. @default runtime.config.schedulerCron */
  cron?: string;
  /** Longest a sweep may hold the cluster lock; a scheduler that dies mid-sweep blocks sweeping this long at most. @default 120000 */
  lockTtlMs?: number;
}

export interface RunningScheduler {
  /** Sweeps now, outside the cron; resolves to null when another scheduler is sweeping. */
  sweepNow(): Promise<SweepResult | null>;
  /** Stops the cron task and waits for a running sweep to finish. */
  close(): Promise<void>;
}

const DEFAULT_LOCK_TTL_MS = 120_000;

/** Time between two ticks: how far ahead a sweep looks, so that nothing falls due between sweeps unseen. */
function tickInterval(task: ScheduledTask): number {
  const [next, following] = task.getNextRuns(2);
  return next && following ? following.getTime() - next.getTime() : 60_000;
}

/** node-cron's own warnings (missed or overlapping executions) go to the process log. */
function cronLogger(log: Logger) {
  return {
    info: (message: string) => log.info(message),
    warn: (message: string) => log.warn(message),
    error: (message: string | Error) => log.error(message instanceof Error ? message.message : message),
    debug: (message: string | Error) => log.debug(message instanceof Error ? message.message : message),
  };
}

export function startScheduler(runtime: Runtime, options: SchedulerOptions = {}): RunningScheduler {
  const { config, log } = runtime;
  const expression = options.cron ?? config.schedulerCron;
  const lock = new SweepLock(runtime.redis, {
    prefix: config.queuePrefix,
    ttlMs: options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS,
  });
  const deps = { store: runtime.store, queue: runtime.queues.connections };
  const settings = (horizonMs: number): SweepSettings => ({
    horizonMs,
    pageSize: config.schedulerPageSize,
    cooldownMs: config.renewalCooldownSeconds * 1000,
    spreadMs: config.schedulerSpreadSeconds * 1000,
  });
  let inFlight: Promise<unknown> = Promise.resolve();

  const sweep = (tick: Date | null): Promise<SweepResult | null> => {
    const horizonMs = tickInterval(task);
    // Twice the interval outlasts any sane clock skew between schedulers, and is gone before the tick could recur.
    const claim = tick && { at: tick, ttlMs: horizonMs * 2 };
    const run = lock.run(claim, async () => {
      const result = await inSpan('renewal.sweep', {}, () => sweepDue(deps, settings(horizonMs)), {
        onResult: (span, swept) => span.setAttribute(ATTR.sweepEnqueued, swept.enqueued),
      });
      log.info({ tick: tick?.toISOString() ?? 'now', ...result }, 'sweep');
      return result;
    });
    inFlight = run.catch(() => {});
    return run;
  };

  const onTick = async (at: Date) => {
    try {
      if ((await sweep(at)) === null) log.debug({ tick: at.toISOString() }, 'sweep skipped: another scheduler has it');
    } catch (error) {
      log.error({ tick: at.toISOString(), err: { message: (error as Error).message } }, 'sweep failed');
    }
  };
  const task = cron.schedule(expression, (context) => onTick(context.date), {
    name: 'renewal-sweep',
    noOverlap: true,
    logger: cronLogger(log),
  });
  log.info({ cron: expression, horizonMs: tickInterval(task) }, 'scheduler started');

  return {
    sweepNow: () => sweep(null),
    async close() {
      await task.destroy();
      await inFlight;
    },
  };
}
