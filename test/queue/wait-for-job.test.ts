/**
 * A waiting caller whose listener never hears the job's event (as when a burst trimmed it from a short stream) still
 * gets the outcome, from the job itself. The listener here is a QueueEvents that never reads (`autorun: false`).
 */
import { randomBytes } from 'node:crypto';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/queue/redis.js';
import { waitForJob } from '../../src/queue/wait-for-job.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `wait-${randomBytes(4).toString('hex')}`;
const name = 'waits';
const connection = createRedis(url, 'worker');
const queue = new Queue(name, { connection, prefix });
const deaf = new QueueEvents(name, { connection: createRedis(url, 'worker'), prefix, autorun: false });
let worker: Worker;

beforeAll(() => {
  worker = new Worker(
    name,
    async (job: Job<{ fail?: boolean }>) => {
      if (job.data.fail) throw new Error('the upstream said no');
      return { answered: job.id };
    },
    { connection: createRedis(url, 'worker'), prefix },
  );
});
afterAll(async () => {
  await worker.close();
  await deaf.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
});

/** Long next to the one-second look at the job: an answer well before it came from the look, not the timeout. */
const TIMEOUT_MS = 30_000;

describe('waiting for a job whose event the listener never hears', () => {
  it('resolves with its result once the job completed', async () => {
    const job = await queue.add('call', {});
    const started = Date.now();
    await expect(waitForJob(queue, job, deaf, TIMEOUT_MS)).resolves.toEqual({ answered: job.id });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS / 3);
  });

  it('rejects with its failure reason once the job failed', async () => {
    const job = await queue.add('call', { fail: true });
    const started = Date.now();
    await expect(waitForJob(queue, job, deaf, TIMEOUT_MS)).rejects.toThrow('the upstream said no');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS / 3);
  });

  it('says the result is no longer kept when the finished job was removed', async () => {
    await worker.pause();
    const job = await queue.add('call', {});
    const waiting = waitForJob(queue, job, deaf, TIMEOUT_MS);
    // After BullMQ's own first look (which reports a missing job its own way), before ours a second in.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await job.remove();
    await expect(waiting).rejects.toThrow(/no longer kept.*JOB_RETENTION_COUNT/);
    worker.resume();
  });

  it('still times out as BullMQ does when the job never finishes', async () => {
    await worker.pause();
    const job = await queue.add('call', {});
    await expect(waitForJob(queue, job, deaf, 1_500)).rejects.toThrow(/timed out|Job wait/i);
    worker.resume();
  });
});
