/**
 * A call queue's event stream holds every recent result (BullMQ's `completed` entries carry the return value), so its
 * length bounds Redis memory (docs/OPERATIONS.md "Redis memory"). BullMQ lets every Queue write the length when it
 * starts; the workers' runtime and the SDK both write ours, so neither puts BullMQ's 10,000 back.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_EVENTS_MAX_LENGTH } from '../../src/queue/names.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
});
afterAll(() => h?.close());

const streamLength = async () => (await h.runtime.queues.calls.getMeta()).maxLenEvents;

describe('the event stream of a call queue', () => {
  it('is kept to CALL_EVENTS_MAX_LENGTH entries by the runtime and by the SDK, whoever started last', async () => {
    await h.runtime.queues.calls.waitUntilReady();
    expect(CALL_EVENTS_MAX_LENGTH).toBe(2_000);
    await expect.poll(streamLength).toBe(CALL_EVENTS_MAX_LENGTH);

    // A plain BullMQ producer without the option writes BullMQ's default…
    const plain = new Queue(h.runtime.queues.calls.name, {
      connection: h.redisConnection('producer'),
      prefix: h.config.queuePrefix,
    });
    await plain.waitUntilReady();
    await expect.poll(streamLength).toBe(10_000);
    await plain.close();

    // …and the SDK's first call on the queue writes ours again.
    await h.client.enqueue('call', { owner: 'o', connectionId: 'missing', url: 'x' });
    await expect.poll(streamLength).toBe(CALL_EVENTS_MAX_LENGTH);
  });
});
