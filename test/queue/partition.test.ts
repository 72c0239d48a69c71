import { describe, expect, it } from 'vitest';
import { queueNames } from '../../src/queue/names.js';
import { callPartitionOf, fnv1a32 } from '../../src/queue/partition.js';

/** FNV-1a of the two bytes 0xc3 0xa9 (é in UTF-8), computed by hand. */
const FNV_OF_C3_A9 = 513665217;

describe('call partitions', () => {
  it('hash connection ids with FNV-1a 32, as the published vectors say', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('match the README test vector', () => {
    expect(fnv1a32('conn-42')).toBe(1238335388);
    expect(callPartitionOf('conn-42', 4)).toBe(0);
    expect(callPartitionOf('conn-42', 16)).toBe(12);
    expect(fnv1a32('4f1c2b9e-0d7a-4c5e-9b1a-2f3e4d5c6b7a')).toBe(737512125);
    expect(callPartitionOf('4f1c2b9e-0d7a-4c5e-9b1a-2f3e4d5c6b7a', 4)).toBe(1);
  });

  it('hash the UTF-8 bytes of ids beyond ASCII, not their UTF-16 code units', () => {
    expect(fnv1a32('é')).toBe(FNV_OF_C3_A9);
  });

  it('put every connection in partition 0 when there is one partition', () => {
    for (const id of ['a', 'conn-42', 'zzz']) expect(callPartitionOf(id, 1)).toBe(0);
  });

  it('use every partition for many connections', () => {
    const used = new Set(Array.from({ length: 300 }, (_, i) => callPartitionOf(`connection-${i}`, 3)));
    expect([...used].sort()).toEqual([0, 1, 2]);
  });
});

describe('queue names', () => {
  it('stay the plain names with one Redis and one partition', () => {
    expect(queueNames({ cluster: false, callPartitions: 1 })).toEqual({
      connections: 'connections',
      events: 'connection-events',
      calls: ['calls'],
    });
  });

  it('number the call queues with several partitions', () => {
    expect(queueNames({ cluster: false, callPartitions: 3 }).calls).toEqual(['calls-0', 'calls-1', 'calls-2']);
  });

  it('are hash tags on a cluster', () => {
    expect(queueNames({ cluster: true, callPartitions: 2 })).toEqual({
      connections: '{connections}',
      events: '{connection-events}',
      calls: ['{calls-0}', '{calls-1}'],
    });
  });
});
