/**
 * Which call partition a connection's calls go to: FNV-1a (32 bit) of the connection id's UTF-8 bytes, modulo the
 * number of partitions. Stable and simple enough for a producer in any language to compute (README "Call partitions"
 * has a test vector); every call of one connection lands in one partition, so its order and budget stay local.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const encoder = new TextEncoder();

/** FNV-1a, 32 bit, of `text` as UTF-8. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of encoder.encode(text)) hash = Math.imul(hash ^ byte, FNV_PRIME) >>> 0;
  return hash;
}

/** The partition (0 … partitions - 1) of a connection. */
export const callPartitionOf = (connectionId: string, partitions: number): number =>
  partitions === 1 ? 0 : fnv1a32(connectionId) % partitions;
