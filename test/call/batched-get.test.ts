import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchedGet } from '../../src/redis/batched-get.js';
import { REDIS_URL } from '../support/harness.js';

const redis = new Redis(REDIS_URL);
const prefix = `bg-${process.pid}-${Date.now()}`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** MGET commands the server has run so far (its own counter, so other clients' traffic would only add). */
async function mgetCalls(): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(/cmdstat_mget:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

describe('BatchedGet', () => {
  it('reads of one turn share one MGET, and each gets its own values, null where missing', async () => {
    await redis.mset(`${prefix}:a`, '1', `${prefix}:b`, '2');
    const reader = new BatchedGet(redis);
    const before = await mgetCalls();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => reader.read([`${prefix}:a`, i % 2 ? `${prefix}:b` : `${prefix}:missing`])),
    );
    const used = (await mgetCalls()) - before;
    expect(results[0]).toEqual(['1', null]);
    expect(results[1]).toEqual(['1', '2']);
    // Other test files may run MGETs at the same time; 50 separate reads would show at least 50.
    expect(used).toBeLessThan(10);
  });

  it('a read issued after a write sees the write', async () => {
    const reader = new BatchedGet(redis);
    await redis.set(`${prefix}:v`, '1');
    expect(await reader.read([`${prefix}:v`])).toEqual(['1']);
    await redis.set(`${prefix}:v`, '2');
    expect(await reader.read([`${prefix}:v`])).toEqual(['2']);
  });
});
