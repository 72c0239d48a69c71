/**
 * Redis connections, with the options BullMQ needs for each role. Every connection logs its errors: an unhandled
 * `error` event would crash the process, and a silent one hides an outage.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log.js';

export type RedisRole = 'worker' | 'producer' | 'client';

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  // Blocking commands must wait through a Redis restart instead of failing the worker loop.
  worker: { maxRetriesPerRequest: null, enableReadyCheck: true },
  // Producers fail fast while Redis is down, so the caller gets a clear error instead of a hung promise.
  producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false },
  // Locks and cache versions: short retries, queued while reconnecting briefly.
  client: { maxRetriesPerRequest: 3, enableAutoPipelining: true },
};

export function createRedis(url: string, role: RedisRole, log?: Logger): Redis {
  const redis = new Redis(url, {
    ...ROLE_OPTIONS[role],
    // Reconnect forever with a capped delay; a restarted Redis must be picked up again.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    connectionName: `oauth-cc:${role}`,
  });
  redis.on('error', (error: Error) => log?.warn({ err: { message: error.message }, role }, 'redis connection error'));
  return redis;
}
