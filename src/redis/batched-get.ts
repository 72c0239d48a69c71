/**
 * Redis reads of one event-loop turn in a single MGET (`turn-batch.ts`).
 *
 * Every `call` job checks its connection's published version before using the cache. Sent one by one, those small
 * reads cost more worker CPU than the rest of the call path together; read in one MGET per turn, the per-command
 * overhead is paid once for all the jobs that started in that turn.
 *
 * A Redis Cluster refuses an MGET whose keys lie in different hash slots, so there the turn's keys are grouped by
 * slot: one MGET per slot, sent together.
 */
import keySlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import { TurnBatch } from '../turn-batch.js';

export class BatchedGet {
  private readonly batch: TurnBatch<string>;

  constructor(redis: Redis | Cluster) {
    this.batch = new TurnBatch((keys) => mgetAll(redis, keys));
  }

  /** The values of `keys` (null where missing), read together with every other read of this turn. */
  read(keys: readonly string[]): Promise<Array<string | null>> {
    return this.batch.load(keys);
  }
}

async function mgetAll(redis: Redis | Cluster, keys: string[]): Promise<Array<string | null>> {
  if (!(redis instanceof Cluster)) return redis.mget(keys);
  const values: Array<string | null> = new Array(keys.length).fill(null);
  await Promise.all(
    indexesBySlot(keys).map(async (indexes) => {
      const read = await redis.mget(indexes.map((index) => keys[index] as string));
      indexes.forEach((index, at) => {
        values[index] = read[at] ?? null;
      });
    }),
  );
  return values;
}

/** The positions of `keys`, grouped by hash slot. */
function indexesBySlot(keys: string[]): number[][] {
  const groups = new Map<number, number[]>();
  keys.forEach((key, index) => {
    const slot = keySlot(key);
    const group = groups.get(slot);
    if (group) group.push(index);
    else groups.set(slot, [index]);
  });
  return [...groups.values()];
}
