/**
 * A bounded map that drops its least recently used entry, in constant time whatever its history.
 *
 * The obvious JavaScript LRU (delete and set again to move a key to the end, drop `keys().next()` when full) is
 * slow exactly when it is needed: V8 leaves a hole for every deleted entry until the table is rebuilt, and
 * `keys().next()` walks over every hole at the front. With 10,000 entries and every use a miss (more connections
 * than the cache holds), that walk cost about 5 µs per eviction. Here a linked list orders the entries instead, so
 * the table only ever sees a lookup, one insert and one delete per eviction.
 */

interface Node<K, V> {
  key: K;
  value: V;
  /** Towards the least recently used. */
  older: Node<K, V> | undefined;
  /** Towards the most recently used. */
  newer: Node<K, V> | undefined;
}

export class Lru<K, V> {
  private readonly nodes = new Map<K, Node<K, V>>();
  private oldest: Node<K, V> | undefined;
  private newest: Node<K, V> | undefined;

  /** @param maxEntries entries kept; setting one more drops the least recently used */
  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.nodes.size;
  }

  /** The value of `key`, leaving the order as it is: `set` it again to make it the most recently used. */
  peek(key: K): V | undefined {
    return this.nodes.get(key)?.value;
  }

  /** Sets `key` as the most recently used; drops the least recently used entry when that makes one too many. */
  set(key: K, value: V): void {
    const known = this.nodes.get(key);
    if (known) {
      known.value = value;
      this.makeNewest(known);
      return;
    }
    const node: Node<K, V> = { key, value, older: this.newest, newer: undefined };
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
    this.nodes.set(key, node);
    if (this.nodes.size > this.maxEntries && this.oldest) this.delete(this.oldest.key);
  }

  delete(key: K): boolean {
    const node = this.nodes.get(key);
    if (!node) return false;
    this.unlink(node);
    this.nodes.delete(key);
    return true;
  }

  /** Keys from the least to the most recently used. */
  *keys(): IterableIterator<K> {
    for (let node = this.oldest; node; node = node.newer) yield node.key;
  }

  private makeNewest(node: Node<K, V>): void {
    if (node === this.newest) return;
    this.unlink(node);
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
  }

  private unlink(node: Node<K, V>): void {
    if (node.older) node.older.newer = node.newer;
    else this.oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.newest = node.older;
    node.older = undefined;
    node.newer = undefined;
  }
}
