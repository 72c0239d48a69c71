/**
 * Only one scheduler in the cluster sweeps per tick, however many run for availability:
 *
 * - a mutex (`RedisLock`: `SET NX PX` with a unique value, holder-only compare-and-delete release) keeps two sweeps
 *   from overlapping, even when one outlasts its tick;
 * - a tick claim (`SET NX PX` on a key named by the tick's scheduled time) keeps a scheduler whose timer fired a
 *   little later from sweeping a tick that another one has already swept and released.
 */
import type { Cluster, Redis } from 'ioredis';
import { RedisLock } from '../redis/lock.js';

/** The one name under the sweep mutex's namespace: there is a single sweep, cluster-wide. */
const SWEEP = 'sweep';

export interface SweepLockOptions {
  /** Key namespace: the queue prefix. */
  prefix: string;
  /** Longest a sweep may hold the mutex; a holder that dies blocks sweeping this long at most. */
  ttlMs: number;
}

export class SweepLock {
  private readonly mutex: RedisLock;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly options: SweepLockOptions,
  ) {
    this.mutex = new RedisLock(redis, {
      namespace: `${options.prefix}:oauth-cc:scheduler-mutex`,
      ttlMs: options.ttlMs,
    });
  }

  /**
   * Runs `fn` if this process wins the mutex and, for a cron tick, the tick's claim; resolves to null when another
   * scheduler has it. `tick.ttlMs` should exceed the largest clock skew between schedulers.
   */
  async run<T>(tick: { at: Date; ttlMs: number } | null, fn: () => Promise<T>): Promise<T | null> {
    const token = await this.mutex.tryAcquire(SWEEP);
    if (token === null) return null;
    try {
      if (tick && !(await this.claimTick(tick.at, tick.ttlMs, token))) return null;
      return await fn();
    } finally {
      await this.mutex.release(SWEEP, token);
    }
  }

  private async claimTick(at: Date, ttlMs: number, token: string): Promise<boolean> {
    const key = `${this.options.prefix}:oauth-cc:scheduler-tick:${at.getTime()}`;
    return (await this.redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK';
  }
}
