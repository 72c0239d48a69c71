/**
 * The check a process makes before it starts: does Redis answer? Without it, a process started with no Redis
 * retries forever and logs warnings, with no word on what to do. Once started, an outage is ridden out instead
 * (queue/redis.ts reconnects).
 */
import { Redis } from 'ioredis';
import type { RedisTarget } from './redis.js';

/** How long a start waits for Redis to answer. */
const PROBE_TIMEOUT_MS = 3_000;

async function ping(url: string, node?: { host: string; port: number }): Promise<void> {
  const redis = new Redis(url, {
    ...node,
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    commandTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The socket's own error (ECONNREFUSED, …) says more than the "Connection is closed" that connect() rejects with.
  let socketError: Error | undefined;
  redis.on('error', (error: Error) => {
    socketError ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw socketError ?? error;
  } finally {
    redis.disconnect();
  }
}

/** Host and port of a redis:// URL, never its credentials. */
const addressOf = (url: string) => {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port || 6379}`;
};

const HOW_TO_START =
  'start one (`redis-server`, or `docker compose up -d redis`) or set it to the URL of a running Redis';

/** Null when Redis (or a seed node of the cluster) answers; otherwise the one line to print, naming the fix. */
export async function redisProblem(target: RedisTarget): Promise<string | null> {
  const nodes = target.clusterNodes ?? [];
  if (nodes.length === 0) {
    try {
      await ping(target.url);
      return null;
    } catch (error) {
      return `REDIS_URL: no Redis answers at ${addressOf(target.url)} (${(error as Error).message}); ${HOW_TO_START}`;
    }
  }
  const failures: string[] = [];
  for (const node of nodes) {
    const at = node.lastIndexOf(':');
    try {
      await ping(target.url, { host: node.slice(0, at), port: Number(node.slice(at + 1)) });
      return null;
    } catch (error) {
      failures.push(`${node}: ${(error as Error).message}`);
    }
  }
  return `REDIS_CLUSTER_NODES: no seed node answers (${failures.join('; ')}); start the cluster or set its nodes`;
}
