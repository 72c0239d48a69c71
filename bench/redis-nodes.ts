/**
 * What the Redis servers of a run did, node by node: on a cluster the work is spread over several processes, and
 * the benchmark reports their CPU time together and the keys each master holds.
 */
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '../src/queue/redis.js';

/** The servers behind a client: every node of a cluster (replicas work too: they apply every write), or the one. */
const serversOf = (redis: RedisClient, role: 'all' | 'master'): Redis[] =>
  redis instanceof Cluster ? redis.nodes(role) : [redis];

const nameOf = (server: Redis) => `${server.options.host}:${server.options.port}`;

/** CPU time (user + system, main and background threads) the servers used so far, summed, µs. */
export async function redisCpuMicros(redis: RedisClient): Promise<number> {
  const infos = await Promise.all(serversOf(redis, 'all').map((server) => server.info('cpu')));
  const seconds = (info: string, name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return infos.reduce((sum, info) => sum + (seconds(info, 'used_cpu_user') + seconds(info, 'used_cpu_sys')) * 1e6, 0);
}

export interface NodeKeys {
  node: string;
  keys: number;
  /** Keys by hash tag (`calls-0`, …); keys without one under `(none)`. */
  byTag: Record<string, number>;
}

/** The keys under `prefix:` on each master (the one server of a single Redis). */
export async function keySpread(redis: RedisClient, prefix: string): Promise<NodeKeys[]> {
  return Promise.all(
    serversOf(redis, 'master').map(async (server) => {
      const byTag: Record<string, number> = {};
      let keys = 0;
      let cursor = '0';
      do {
        const [next, batch] = await server.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        for (const key of batch) {
          const tag = /\{([^}]+)\}/.exec(key)?.[1] ?? '(none)';
          byTag[tag] = (byTag[tag] ?? 0) + 1;
          keys++;
        }
      } while (cursor !== '0');
      return { node: nameOf(server), keys, byTag };
    }),
  );
}

/**
 * Removes the keys under `prefix:` from every master: the cache's version keys live next to the queues. One key per
 * DEL, pipelined: keys of different slots cannot share a command on a cluster.
 */
export async function deleteKeys(redis: RedisClient, prefix: string): Promise<void> {
  for (const server of serversOf(redis, 'master')) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      const pipeline = server.pipeline();
      for (const key of keys) pipeline.unlink(key);
      await pipeline.exec();
    } while (cursor !== '0');
  }
}
