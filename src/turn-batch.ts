/**
 * Coalesces the lookups of one event-loop turn into a single fetch of all their keys.
 *
 * Many jobs start in the same turn (a worker fetches and starts them in separate I/O callbacks of one poll phase),
 * and each looks up a few keys: its connection's published version in Redis, or its connection in the store when the
 * cache does not hold it. Sent one by one, the fixed cost of each request (a round trip, a parse, a plan) dominates;
 * fetched together, it is paid once per turn. Each lookup is still sent after its job was fetched, so it sees every
 * write made before that: batching changes the cost, not the guarantee.
 */

/** Fetches the values of `keys` (each key once), in their order, null where there is none. */
export type FetchMany<V> = (keys: string[]) => Promise<Array<V | null>>;

interface PendingLookup<V> {
  keys: readonly string[];
  resolve: (values: Array<V | null>) => void;
  reject: (error: unknown) => void;
}

export class TurnBatch<V> {
  private pending: PendingLookup<V>[] = [];

  constructor(private readonly fetchMany: FetchMany<V>) {}

  /** The values of `keys` (null where missing), fetched together with every other lookup of this turn. */
  load(keys: readonly string[]): Promise<Array<V | null>> {
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
      const values = await this.fetchMany([...positions.keys()]);
      for (const { keys, resolve } of batch) resolve(keys.map((key) => values[positions.get(key) as number] ?? null));
    } catch (error) {
      for (const { reject } of batch) reject(error);
    }
  }
}
