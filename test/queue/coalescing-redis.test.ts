import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { closeRedis, createRedis } from '../../src/queue/redis.js';
import { REDIS_URL } from '../support/harness.js';

const prefix = `coalesce-${process.pid}-${Date.now()}`;
const clients: Redis[] = [];
afterAll(async () => {
  const keys = await clients[0]?.keys(`${prefix}:*`);
  if (keys?.length) await clients[0]?.del(...keys);
  for (const client of clients) client.disconnect();
});

async function connected(redis: Redis): Promise<Redis> {
  clients.push(redis);
  await redis.ping();
  return redis;
}

/** Counts the writes the socket hands to the operating system (one `_write` or `_writev` each). */
function countWrites(socket: Socket): { readonly count: number } {
  const counter = { count: 0 };
  const target = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const method of ['_write', '_writev'] as const) {
    const original = target[method].bind(socket);
    target[method] = (...args: unknown[]) => {
      counter.count++;
      return original(...args);
    };
  }
  return counter;
}

/**
 * Issues `count` SETs, each from its own callback of one event-loop turn, as finishing jobs do. Immediates queued
 * together all run in the same check phase, whatever the load; timers would not (each takes its own start time).
 */
async function setFromSeparateCallbacks(redis: Redis, count: number): Promise<void> {
  const sent: Array<Promise<unknown>> = [];
  await new Promise<void>((resolve) => {
    for (let i = 0; i < count; i++) setImmediate(() => sent.push(redis.set(`${prefix}:k${i}`, String(i))));
    setImmediate(resolve);
  });
  await Promise.all(sent);
}

describe('createRedis', () => {
  it('sends the commands of one event-loop turn in one socket write', async () => {
    const coalescing = await connected(createRedis(REDIS_URL, 'client'));
    const writes = countWrites(coalescing.stream);
    await setFromSeparateCallbacks(coalescing, 20);
    expect(writes.count).toBe(1);

    // The same traffic through a plain client: one write per command, so the count above is not a given.
    const plain = await connected(new Redis(REDIS_URL));
    const plainWrites = countWrites(plain.stream);
    await setFromSeparateCallbacks(plain, 20);
    expect(plainWrites.count).toBeGreaterThan(1);
  });

  it('keeps the order in which commands were issued, scripts and transactions included', async () => {
    const redis = await connected(createRedis(REDIS_URL, 'worker'));
    const key = `${prefix}:order`;
    const replies = await Promise.all([
      redis.set(key, '1'),
      redis.incr(key),
      redis.eval("return redis.call('incrby', KEYS[1], 10)", 1, key),
      redis.multi().incr(key).get(key).exec(),
      Promise.resolve().then(() => redis.incr(key)),
      new Promise((resolve) => setImmediate(() => resolve(redis.get(key)))),
    ]);
    expect(replies).toEqual([
      'OK',
      2,
      12,
      [
        [null, 13],
        [null, '13'],
      ],
      14,
      '14',
    ]);
  });

  it('goes on sending after a reconnect', async () => {
    const redis = await connected(createRedis(REDIS_URL, 'client'));
    const key = `${prefix}:reconnect`;
    await redis.set(key, 'before');
    const reconnected = new Promise((resolve) => redis.once('ready', resolve));
    redis.disconnect(true);
    await reconnected;
    await redis.set(key, 'after');
    expect(await redis.get(key)).toBe('after');
  });
});

describe('closeRedis', () => {
  it('when a producer connection is closed while still connecting, it ends instead of connecting and staying', async () => {
    const producer = createRedis(REDIS_URL, 'producer');
    expect(producer.status).not.toBe('ready');
    await closeRedis(producer);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(producer.status).toBe('end');
  });

  it('when a connection is ready, it quits after the replies still due', async () => {
    const client = createRedis(REDIS_URL, 'client');
    await client.ping();
    const reply = client.set(`${prefix}:last`, 'sent before the close');
    const ended = new Promise((resolve) => client.once('end', resolve));
    await closeRedis(client);
    expect(await reply).toBe('OK');
    await ended;
    expect(client.status).toBe('end');
  });
});
