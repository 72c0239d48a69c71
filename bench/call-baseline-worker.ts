/**
 * The benchmark's baseline: a bare BullMQ worker that sends the same undici request to the same upstream with the
 * same concurrency and retention as the real worker, with no store, no cache and no token logic (the driver hands it
 * one token per connection). Whatever the real worker costs on top of this is the price of the project.
 *
 * Environment: REDIS_URL, QUEUE_PREFIX, CONCURRENCY, RETENTION_COUNT, UPSTREAM_URL, BENCH_TOKENS_FILE (a JSON file
 * `{ connectionId: token }`: a file, since an environment that large fails the spawn with E2BIG); COALESCING=1 gives it the project's Redis client (`createRedis`, one socket write per
 * event-loop turn) instead of a plain ioredis client, to tell the call path's cost from the transport's gain.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { CALLS_QUEUE } from '../src/queue/names.js';
import { createRedis } from '../src/queue/redis.js';
import { attachProbe } from './call-probe.js';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};

const tokens = new Map(
  Object.entries(JSON.parse(readFileSync(env('BENCH_TOKENS_FILE'), 'utf8')) as Record<string, string>),
);
const apiBase = `${env('UPSTREAM_URL')}/api/`;
const retentionCount = Number(env('RETENTION_COUNT'));
// The same pool settings as src/http/dispatcher.ts.
const agent = new Agent({ connections: 256, pipelining: 1, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });

interface CallData {
  connectionId: string;
  url: string;
}

const worker = new Worker(
  CALLS_QUEUE,
  async (job) => {
    const { connectionId, url } = job.data as CallData;
    const response = await request(`${apiBase}${url}?env=production`, {
      dispatcher: agent,
      method: 'GET',
      headers: { authorization: `Bearer ${tokens.get(connectionId)}`, 'x-api-version': 'v2' },
    });
    return { status: response.statusCode, headers: response.headers, body: await response.body.json() };
  },
  {
    connection:
      process.env.COALESCING === '1'
        ? createRedis(env('REDIS_URL'), 'worker')
        : new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null }),
    prefix: env('QUEUE_PREFIX'),
    concurrency: Number(env('CONCURRENCY')),
    removeOnComplete: { count: retentionCount },
    removeOnFail: { count: retentionCount * 10 },
  },
);
worker.on('error', (error) => process.stderr.write(`baseline worker error: ${error.message}\n`));
attachProbe([worker]);

process.on('SIGTERM', () => {
  void worker
    .close()
    .then(() => agent.close())
    .finally(() => process.exit(0));
});
