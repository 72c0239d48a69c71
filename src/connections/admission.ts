/**
 * Who may take an entry of a full cache: a connection asked for again within a recent window (the "doorkeeper" of
 * TinyLFU, Einziger, Friedman and Manes, 2017).
 *
 * A least-recently-used cache never hits when calls cycle over more connections than it holds: each connection is
 * dropped just before it comes back. Admitting a connection only when it comes back within about a cache's worth of
 * misses keeps a stable set instead (12,000 connections cycling through 10,000 entries: half the calls hit instead
 * of none, docs/PERFORMANCE.md). A connection seen for the first time in the window is served without being kept.
 * The window is a Bloom filter over about as many sightings as the cache holds, cleared when full: a fixed array of
 * bits, so a sighting allocates nothing. A false positive only keeps a connection that did not need to be kept.
 */

/** Bits per sighting of the window, and bits set per key: about 0.3% false positives when the window is full. */
const BITS_PER_KEY = 16;
const HASHES = 4;

export class RecentSightings {
  private readonly bits: Uint32Array;
  private readonly mask: number;
  private sightings = 0;

  /** @param window sightings remembered before the filter starts afresh */
  constructor(private readonly window: number) {
    let size = 32;
    while (size < window * BITS_PER_KEY) size *= 2;
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  /** Records a sighting of `key`; true when `key` was seen already within the window. */
  seenBefore(key: string): boolean {
    const first = fnv1a(key);
    // Double hashing: the step is the hash mixed again (murmur3's finalizer), odd so that the probes of one key
    // never repeat a position (the size is a power of two).
    const step = mix(first) | 1;
    let seen = true;
    for (let i = 0; i < HASHES; i++) {
      const bit = (first + i * step) & this.mask;
      const word = bit >>> 5;
      const flag = 1 << (bit & 31);
      if (((this.bits[word] as number) & flag) === 0) {
        seen = false;
        this.bits[word] = (this.bits[word] as number) | flag;
      }
    }
    if (!seen && ++this.sightings >= this.window) {
      this.bits.fill(0);
      this.sightings = 0;
    }
    return seen;
  }
}

/** 32-bit FNV-1a of the string's UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3's 32-bit finalizer: every input bit flips each output bit with probability about one half. */
function mix(value: number): number {
  let hash = value ^ (value >>> 16);
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}
