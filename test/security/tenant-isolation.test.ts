/**
 * Tenant isolation: a job naming another owner's connection fails exactly as for a connection that does not exist,
 * so a job can neither use nor detect another tenant's connection, and nothing is touched.
 */
import { randomUUID } from 'node:crypto';
import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobName } from '../../src/queue/names.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let victimId: string;

beforeAll(async () => {
  h = await startHarness();
  await h.applyConnector(providerConnector(h.provider.url));
  h.provider.registerClient({ clientId: 'victim', clientSecret: 'victim-secret' });
  ({ connectionId: victimId } = await h.client.connect({
    owner: 'tenant-a',
    connector: 'acme',
    fields: { client_id: 'victim', client_secret: 'victim-secret' },
  }));
});
afterAll(() => h?.close());

const payloads: Record<Exclude<JobName, 'connect'>, (connectionId: string) => Record<string, unknown>> = {
  test: (connectionId) => ({ owner: 'tenant-b', connectionId }),
  refresh: (connectionId) => ({ owner: 'tenant-b', connectionId, force: true }),
  revoke: (connectionId) => ({ owner: 'tenant-b', connectionId }),
  call: (connectionId) => ({ owner: 'tenant-b', connectionId, url: 'echo' }),
};

/** The failure reason of a job, and how many times it ran. */
async function failure(name: JobName, data: Record<string, unknown>) {
  const id = await h.client.enqueue(name, data as never);
  const reason = await h.client.result(name, id).then(
    () => 'completed',
    (error: Error) => error.message,
  );
  const queue = name === 'call' ? h.runtime.queues.calls : h.runtime.queues.connections;
  return { reason, attempts: (await Job.fromId(queue, id))?.attemptsStarted };
}

describe('tenant isolation', () => {
  it.each(Object.keys(payloads) as Array<keyof typeof payloads>)(
    "when a %s job names another owner's connection, it fails as not found, like a missing id, and touches nothing",
    async (name) => {
      const before = await h.runtime.store.connections.get(victimId);
      h.provider.reset();
      const other = await failure(name, payloads[name](victimId));
      const missingId = randomUUID();
      const missing = await failure(name, payloads[name](missingId));

      expect(other.reason).toBe(`[not_found] connection ${victimId} not found`);
      expect(missing.reason).toBe(`[not_found] connection ${missingId} not found`);
      expect(other.attempts).toBe(1);
      expect(h.provider.stats.tokenRequests + h.provider.stats.apiRequests + h.provider.stats.revocations.length).toBe(
        0,
      );
      const after = await h.runtime.store.connections.get(victimId);
      expect(after).toEqual(before);
    },
  );
});
