/**
 * A connection whose Redis goes away reconnects at every retry (every 2 s at most) and ioredis emits `error` each
 * time; the log gets one warning per outage and one line when it ends, not a line per attempt.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createRedis } from '../../src/queue/redis.js';
import { type ManagedServer, startRedisServer } from '../support/servers.js';

let redis: ManagedServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis?.close());

describe('Redis outage logging', () => {
  it('when Redis is down through several reconnection attempts, it warns once, then says once that it is back', async () => {
    const lines: Array<{ msg: string }> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const client = createRedis(redis.url, 'client', createLogger({ level: 'info', destination: sink }));
    let attempts = 0;
    client.on('reconnecting', () => attempts++);
    try {
      await client.ping();
      await redis.stop();
      // Reconnection attempts come 200, 400, 600 ms … apart: four of them take about 2 s.
      await expect.poll(() => attempts, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(4);
      await redis.start();
      await expect.poll(() => client.ping().catch(() => null), { timeout: 30_000, interval: 200 }).toBe('PONG');
      await expect
        .poll(() => lines.map((line) => line.msg), { timeout: 10_000 })
        .toContain('redis connection restored');
      const messages = lines.map((line) => line.msg);
      expect(messages.filter((msg) => msg.startsWith('redis connection error'))).toHaveLength(1);
      expect(messages.filter((msg) => msg === 'redis connection restored')).toHaveLength(1);
    } finally {
      client.disconnect();
    }
  }, 90_000);
});
