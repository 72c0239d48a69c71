/**
 * Every key matching a pattern, on one Redis or on every master of a cluster (SCAN walks one node only), and their
 * deletion (one key per DEL, since a cluster refuses a DEL across slots).
 */
import { Cluster, type Redis } from 'ioredis';

export async function keysMatching(redis: Redis | Cluster, pattern: string): Promise<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

/** Deletes every key matching `pattern`; resolves to how many were deleted. */
export async function deleteMatching(redis: Redis | Cluster, pattern: string): Promise<number> {
  const deleted = await Promise.all((await keysMatching(redis, pattern)).map((key) => redis.del(key)));
  return deleted.reduce((sum: number, n) => sum + n, 0);
}
