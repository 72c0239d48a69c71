/** Reading connection events back from the `connection-events` queue, and scanning them for secrets. */
import type { Queue } from 'bullmq';
import { expect } from 'vitest';
import type { ConnectionEvent } from '../../src/domain/model.js';

const STATES = ['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized'] as const;

/** The keys an event may have: ids and states only. */
export const EVENT_KEYS = new Set([
  'id',
  'type',
  'at',
  'owner',
  'connectionId',
  'connector',
  'status',
  'previousStatus',
  'reason',
  'ok',
  'attempt',
  'code',
  'description',
  'providerRevoked',
]);

/** Every event on the queue, oldest first; events of one write (same `at`) in the order they were queued. */
export async function queuedEvents(queue: Queue): Promise<ConnectionEvent[]> {
  const jobs = await queue.getJobs([...STATES], 0, -1, true);
  return jobs.map((job) => job.data as ConnectionEvent).sort((a, b) => a.at.localeCompare(b.at));
}

/** Waits until `connectionId` has `count` events on the queue; returns them, oldest first. */
export async function eventsOf(queue: Queue, connectionId: string, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = (await queuedEvents(queue)).filter((event) => event.connectionId === connectionId);
    if (events.length >= count || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Fails when `text` holds any of `secrets`, a sealed value, or a key that names a credential. */
export function expectNoSecret(text: string, secrets: readonly string[]) {
  for (const secret of secrets) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/sealed:v\d/);
  expect(text).not.toMatch(/"(?:access_?token|refresh_?token|secrets?|client_?secret|accessToken|refreshToken)"/i);
}
