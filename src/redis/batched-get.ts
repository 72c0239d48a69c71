/**
 * Coalesces the Redis reads of one event-loop turn into a single MGET.
 *
 * Every `call` job checks its connection's published version before using the cache. Sent one by one, those small
 * reads cost more worker CPU than the rest of the call path together; read in one MGET per turn, the per-command
 * overhead is paid once for all the jobs that started in that turn. Each read is still issued after its job was
 * fetched, so it sees every write published before that: batching changes the cost, not the guarantee.
 *
 * A Redis Cluster refuses an MGET whose keys lie in different hash slots, so there the turn's keys are grouped by
 * slot: one MGET per slot, sent together.
 */
import keySlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';

interface PendingRead {
  keys: readonly string[];
  resolve: (values: Array<string | null>) => void;
  reject: (error: unknown) => void;
}

export class BatchedGet {
  private pending: PendingRead[] = [];

  constructor(private readonly redis: Redis | Cluster) {}

  /** The values of `keys` (null where missing), read together with every other read of this turn. */
  read(keys: readonly string[]): Promise<Array<string | null>> {
    return new Promise((resolve, reject) => {
      this.pending.push({ keys, resolve, reject });
      // setImmediate, not a microtask: the jobs of one turn arrive in separate I/O callbacks of the same poll phase.
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const positions = new Map<string, number>();
    for (const { keys } of batch) for (const key of keys) if (!positions.has(key)) positions.set(key, positions.size);
    try {
      const values = await this.readAll([...positions.keys()]);
      for (const { keys, resolve } of batch) resolve(keys.map((key) => values[positions.get(key) as number] ?? null));
    } catch (error) {
      for (const { reject } of batch) reject(error);
    }
  }

  private async readAll(keys: string[]): Promise<Array<string | null>> {
    if (!(this.redis instanceof Cluster)) return this.redis.mget(keys);
    const values: Array<string | null> = new Array(keys.length).fill(null);
    await Promise.all(
      indexesBySlot(keys).map(async (indexes) => {
        const read = await this.redis.mget(indexes.map((index) => keys[index] as string));
        indexes.forEach((index, at) => {
          values[index] = read[at] ?? null;
        });
      }),
    );
    return values;
  }
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
