import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lru } from '../src/lru.js';

const keysOf = (lru: Lru<string, number>) => [...lru.keys()];

describe('Lru', () => {
  it('when one entry too many is set, the least recently used goes', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(keysOf(lru)).toEqual(['b', 'c']);
    expect(lru.peek('a')).toBeUndefined();
    expect(lru.size).toBe(2);
  });

  it('peek leaves the order as it is; setting the key again makes it the most recently used', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.peek('a')).toBe(1);
    expect(keysOf(lru)).toEqual(['a', 'b']);
    lru.set('a', 1);
    lru.set('c', 3);
    expect(keysOf(lru)).toEqual(['a', 'c']);
  });

  it('setting a known key replaces its value, keeps the size and makes it the most recently used', () => {
    const lru = new Lru<string, number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('a', 10);
    expect(keysOf(lru)).toEqual(['b', 'a']);
    expect(lru.peek('a')).toBe(10);
    expect(lru.size).toBe(2);
  });

  it('deleting the oldest, a middle or the newest entry keeps the others in order', () => {
    const lru = new Lru<string, number>(5);
    for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) lru.set(key, i);
    expect(lru.delete('a')).toBe(true);
    expect(lru.delete('c')).toBe(true);
    expect(lru.delete('d')).toBe(true);
    expect(lru.delete('d')).toBe(false);
    expect(keysOf(lru)).toEqual(['b']);
    lru.set('e', 5);
    expect(keysOf(lru)).toEqual(['b', 'e']);
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const bound of [0, -1, 1.5, Number.NaN]) expect(() => new Lru(bound)).toThrow(/maxEntries/);
  });

  it('behaves like a list ordered by last use, for any sequence of operations', () => {
    const operation = fc.oneof(
      fc.record({ op: fc.constant('set' as const), key: fc.integer({ min: 0, max: 6 }), value: fc.integer() }),
      fc.record({
        op: fc.constantFrom('peek' as const, 'delete' as const),
        key: fc.integer({ min: 0, max: 6 }),
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(operation, { maxLength: 60 }), (bound, operations) => {
        const lru = new Lru<number, number>(bound);
        // The model: entries from the least to the most recently used.
        let model: Array<[number, number]> = [];
        const without = (key: number) => model.filter(([k]) => k !== key);
        for (const step of operations) {
          const known = model.find(([k]) => k === step.key);
          if (step.op === 'set') {
            lru.set(step.key, step.value);
            model = [...without(step.key), [step.key, step.value] as [number, number]].slice(-bound);
          } else if (step.op === 'peek') {
            expect(lru.peek(step.key)).toBe(known?.[1]);
          } else {
            expect(lru.delete(step.key)).toBe(known !== undefined);
            model = without(step.key);
          }
          expect([...lru.keys()]).toEqual(model.map(([k]) => k));
          expect(lru.size).toBe(model.length);
        }
      }),
    );
  });
});
