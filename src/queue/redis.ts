/**
 * Redis connections, with the options BullMQ needs for each role. Every connection logs its errors: an unhandled
 * `error` event would crash the process, and a silent one hides an outage.
 */
import { type Command, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log.js';

export type RedisRole = 'worker' | 'producer' | 'client';

const ROLE_OPTIONS: Record<RedisRole, Omit<RedisOptions, 'replyMapping'>> = {
  // Blocking commands must wait through a Redis restart instead of failing the worker loop.
  worker: { maxRetriesPerRequest: null, enableReadyCheck: true },
  // Producers fail fast while Redis is down, so the caller gets a clear error instead of a hung promise.
  producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false },
  // Locks and cache versions: short retries, queued while reconnecting briefly.
  client: { maxRetriesPerRequest: 3 },
};

/**
 * An ioredis client that hands the commands of one event-loop turn to the socket in one write.
 *
 * A busy worker finishes many jobs per turn (each in its own I/O callback) and BullMQ sends one command for each;
 * sent one by one they cost a system call each, which on virtualised hosts is a large part of a job's CPU time
 * (docs/PERFORMANCE.md). The socket is corked at the first command of a turn and uncorked in the check phase
 * (`setImmediate`), after every callback of that turn's poll phase has run. Unlike ioredis' auto-pipelining, this
 * keeps the order in which commands were issued, so it is safe for BullMQ's scripts. A command waits at most until
 * the next check phase (one issued from an immediate, until the next turn's).
 */
class CoalescingRedis extends Redis {
  private holding = false;

  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    const socket = this.stream;
    if (!this.holding && socket?.writable) {
      this.holding = true;
      socket.cork();
      setImmediate(() => {
        this.holding = false;
        socket.uncork();
      });
    }
    return super.sendCommand(command, stream);
  }
}

export function createRedis(url: string, role: RedisRole, log?: Logger): Redis {
  const redis = new CoalescingRedis(url, {
    ...ROLE_OPTIONS[role],
    // Reconnect forever with a capped delay; a restarted Redis must be picked up again.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    connectionName: `oauth-cc:${role}`,
  });
  redis.on('error', (error: Error) => log?.warn({ err: { message: error.message }, role }, 'redis connection error'));
  return redis;
}
