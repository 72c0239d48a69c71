/**
 * A lease on a name, held by one process at a time: one Redis key per name, held only while the work runs.
 *
 * - Acquired with `SET key token NX PX ttl`: the token is unique to the holder.
 * - Released with compare-and-delete, so a holder whose lease expired can never release someone else's.
 * - The TTL is longer than the work can take, so a live holder never loses it midway.
 * Waiters poll until the key is gone, then re-read what the holder wrote.
 *
 * Used for the single-flight renewal of a connection's token and for the scheduler's cluster-wide sweep mutex, each
 * under its own key namespace.
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { SingleFlightLock } from '../domain/ports.js';

const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface RedisLockOptions {
  /** Key namespace, such as `<queue prefix>:oauth-cc:renew-lock`; the name follows it after a `:`. */
  namespace: string;
  /** Lease lifetime; must exceed the longest the holder works. */
  ttlMs: number;
  /** How often a waiter looks again. @default 25 */
  pollMs?: number;
}

export class RedisLock implements SingleFlightLock {
  private readonly pollMs: number;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly options: RedisLockOptions,
  ) {
    this.pollMs = options.pollMs ?? 25;
  }

  private key(name: string): string {
    return `${this.options.namespace}:${name}`;
  }

  async tryAcquire(name: string): Promise<string | null> {
    const token = randomUUID();
    const ok = await this.redis.set(this.key(name), token, 'PX', this.options.ttlMs, 'NX');
    return ok === 'OK' ? token : null;
  }

  async release(name: string, token: string): Promise<boolean> {
    const deleted = await this.redis.eval(RELEASE_SCRIPT, 1, this.key(name), token);
    return deleted === 1;
  }

  async waitForRelease(name: string): Promise<void> {
    const deadline = Date.now() + this.options.ttlMs;
    while (Date.now() < deadline) {
      if ((await this.redis.exists(this.key(name))) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }
}

/** The lock of connections' token renewals, under the namespace every worker of `prefix` shares. */
export function renewalLock(redis: Redis | Cluster, prefix: string, ttlMs: number): RedisLock {
  return new RedisLock(redis, { namespace: `${prefix}:oauth-cc:renew-lock`, ttlMs });
}
