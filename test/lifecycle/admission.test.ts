import { describe, expect, it } from 'vitest';
import { RecentSightings } from '../../src/connections/admission.js';

const ids = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, i) => `${prefix}-0190f0f0-aaaa-7bbb-8ccc-${String(i).padStart(12, '0')}`);

describe('RecentSightings', () => {
  it('reports a key as seen from its second sighting on', () => {
    const sightings = new RecentSightings(100);
    expect(sightings.seenBefore('a')).toBe(false);
    expect(sightings.seenBefore('a')).toBe(true);
    expect(sightings.seenBefore('a')).toBe(true);
    expect(sightings.seenBefore('b')).toBe(false);
  });

  it('forgets every key once as many new keys as its window were seen', () => {
    const sightings = new RecentSightings(1_000);
    sightings.seenBefore('kept');
    // The first key plus 998 others fill the window but one.
    for (const id of ids(998, 'fill')) sightings.seenBefore(id);
    expect(sightings.seenBefore('kept')).toBe(true);
    sightings.seenBefore('the thousandth');
    expect(sightings.seenBefore('kept')).toBe(false);
  });

  it('takes few keys it never saw for seen, and every key it saw', () => {
    const sightings = new RecentSightings(10_000);
    for (const id of ids(5_000, 'seen')) sightings.seenBefore(id);
    // 9,000 sightings in all: the window does not restart during this test.
    const falsePositives = ids(4_000, 'new').filter((id) => sightings.seenBefore(id)).length;
    // Well under 0.1% expected (16 bits and 4 probes per key of the window); 1% would mean the hashing is broken.
    expect(falsePositives).toBeLessThan(40);
    expect(ids(5_000, 'seen').every((id) => sightings.seenBefore(id))).toBe(true);
  });
});
