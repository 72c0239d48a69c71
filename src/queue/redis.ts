/**
 * Redis connections, with the options BullMQ needs for each role: to one Redis, or to a Redis Cluster. Every
 * connection logs its outages: an unhandled `error` event would crash the process, and a silent one hides an outage.
 */
import { Cluster, type Command, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log.js';

/** A connection to one Redis or to a cluster: both speak the same commands. */
export type RedisClient = Redis | Cluster;

/** Where Redis is. */
export interface RedisTarget {
  /** One Redis; with `clusterNodes`, only its user, password and TLS (`rediss:`) are used. */
  url: string;
  /** Seed nodes (`host:port`) of a Redis Cluster; the client discovers the others. */
  clusterNodes?: readonly string[];
}

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

/** Reconnect forever with a capped delay; a restarted Redis (or a failed-over master) must be picked up again. */
const retryStrategy = (times: number) => Math.min(times * 200, 2_000);

/**
 * A connection for `role`. A cluster connection sends each command as it comes: ioredis builds its node connections
 * itself, so the coalescing of `CoalescingRedis` cannot be put under them (docs/SCALING.md shows what that costs).
 * A cluster producer fails fast when a node it knows is down, but its commands wait while the cluster as a whole is
 * not ready (starting, or every seed unreachable): ioredis has no fail-fast mode for that state.
 */
export function createRedis(url: string, role: RedisRole, log?: Logger): Redis;
export function createRedis(target: RedisTarget, role: RedisRole, log?: Logger): RedisClient;
export function createRedis(target: RedisTarget | string, role: RedisRole, log?: Logger): RedisClient {
  const { url, clusterNodes } = typeof target === 'string' ? { url: target, clusterNodes: undefined } : target;
  const connectionName = `oauth-cc:${role}`;
  const redis: RedisClient = clusterNodes?.length
    ? new Cluster(clusterNodes.map(seedNode), {
        redisOptions: { ...ROLE_OPTIONS[role], ...credentialsOf(url), connectionName },
        clusterRetryStrategy: retryStrategy,
        // While a replica takes over, nodes disagree for a moment on who serves a slot and answer MOVED back and
        // forth; resent at once, a command spends ioredis' 16 redirections in milliseconds and fails the job with
        // "Too many Cluster redirections". Waiting between redirections lets it ride out a failover (~20 s here).
        retryDelayOnMoved: 200,
        maxRedirections: 100,
        // BullMQ counts a cluster as ready before its slots are known: its first commands must wait for them.
        enableOfflineQueue: true,
      })
    : new CoalescingRedis(url, { ...ROLE_OPTIONS[role], retryStrategy, connectionName });
  if (log) logOutages(redis, role, log);
  else redis.on('error', () => {});
  return redis;
}

/**
 * One warning per outage, and one line when it ends: ioredis emits `error` at every failed reconnection attempt
 * (every 2 s at most), which would bury the log under the same line while Redis is down.
 */
function logOutages(redis: RedisClient, role: RedisRole, log: Logger): void {
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    log.warn(
      { err: { message: error.message }, role },
      'redis connection error; reconnecting (logged once per outage)',
    );
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ role }, 'redis connection restored');
  });
}

/** Whether `redis` is a cluster client (whose multi-key commands must stay within one hash slot). */
export const isCluster = (redis: RedisClient): redis is Cluster => redis instanceof Cluster;

/**
 * Closes a connection in whatever state it is: QUIT when it is ready (replies still due arrive first), otherwise a
 * plain disconnect. A producer's connection refuses QUIT while it is still connecting (its offline queue is off), and
 * would then finish connecting and keep the process alive with nothing left to do.
 */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // Not sent (the connection just dropped): disconnect below.
    }
  }
  redis.disconnect();
}

function seedNode(hostPort: string) {
  const at = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
}

/** The part of a redis:// URL that every node of a cluster shares. */
function credentialsOf(url: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const parsed = new URL(url);
  return {
    ...(parsed.username && { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password && { password: decodeURIComponent(parsed.password) }),
    ...(parsed.protocol === 'rediss:' && { tls: {} }),
  };
}
