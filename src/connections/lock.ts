/**
 * The single-flight renewal lock: one Redis key per connection, held only while renewing.
 *
 * - Acquired with `SET key token NX PX ttl`: the token is unique to the holder.
 * - Released with compare-and-delete, so a holder whose lock expired can never release someone else's.
 * - The TTL is longer than a token request can take, so a live holder never loses it mid-request.
 * Waiters poll until the key is gone, then re-read the connection: the holder has stored the new token by then.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface RenewalLockOptions {
  /** Key namespace, such as the queue prefix. */
  prefix: string;
  /** Lock lifetime; must exceed the token request timeout. */
  ttlMs: number;
  /** How often a waiter looks again. @default 25 */
  pollMs?: number;
}

export class RenewalLock {
  private readonly pollMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RenewalLockOptions,
  ) {
    this.pollMs = options.pollMs ?? 25;
  }

  private key(connectionId: string): string {
    return `${this.options.prefix}:oauth-cc:renew-lock:${connectionId}`;
  }

  /** Returns the holder's token, or null when someone else holds the lock. */
  async tryAcquire(connectionId: string): Promise<string | null> {
    const token = randomUUID();
    const ok = await this.redis.set(this.key(connectionId), token, 'PX', this.options.ttlMs, 'NX');
    return ok === 'OK' ? token : null;
  }

  /** Releases the lock if `token` still holds it. */
  async release(connectionId: string, token: string): Promise<boolean> {
    const deleted = await this.redis.eval(RELEASE_SCRIPT, 1, this.key(connectionId), token);
    return deleted === 1;
  }

  /** Resolves once nobody holds the lock, or after the lock's TTL (the holder died). */
  async waitForRelease(connectionId: string): Promise<void> {
    const deadline = Date.now() + this.options.ttlMs;
    while (Date.now() < deadline) {
      if ((await this.redis.exists(this.key(connectionId))) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }
}
