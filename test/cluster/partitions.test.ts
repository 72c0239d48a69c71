/**
 * Calls partitioned over a Redis Cluster (run by `npm run test:cluster`, which sets the cluster and three partitions):
 * each connection's calls go to its partition's queue, the queues' keys sit in one slot each and on different
 * masters, and a worker named a subset of partitions takes only their calls.
 */
import keySlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callPartitionOf } from '../../src/queue/partition.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { keysMatching } from '../support/scan.js';

let h: Harness;
const connectionIds: string[] = [];

beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
  expect(h.runtime.redis).toBeInstanceOf(Cluster);
  expect(h.config.callPartitions).toBe(3);
  await h.applyConnector(providerConnector(h.provider.url));
  await h.spawnWorker();
  for (let i = 0; i < 12; i++) {
    h.provider.registerClient({
      clientId: `part-${i}`,
      clientSecret: `part-secret-${i}`,
      account: { account_id: `acct-part-${i}`, name: `P${i}`, email: `p${i}@example.com` },
    });
    const { connectionId } = await h.client.connect({
      owner: 'ws',
      connector: 'acme',
      fields: { client_id: `part-${i}`, client_secret: `part-secret-${i}` },
    });
    connectionIds.push(connectionId);
  }
}, 120_000);
afterAll(() => h?.close());

describe('call partitions on a cluster', () => {
  it("sends each connection's calls to its partition, whose worker runs them", async () => {
    const partitions = new Set<number>();
    for (const connectionId of connectionIds) {
      const id = await h.client.enqueue('call', { owner: 'ws', connectionId, url: 'echo/x' });
      const partition = callPartitionOf(connectionId, 3);
      partitions.add(partition);
      expect(id.startsWith(`${partition}.`)).toBe(true);
      const job = await h.runtime.callQueues[partition]?.getJob(id.slice(id.indexOf('.') + 1));
      expect(job?.data.connectionId).toBe(connectionId);
      expect((await h.client.result('call', id)).status).toBe(200);
    }
    expect(partitions.size).toBeGreaterThan(1);
  });

  it("keeps each queue's keys in one slot, and the three call partitions on three masters", async () => {
    for (const queue of h.runtime.allQueues) {
      const keys = await keysMatching(h.runtime.redis, `${h.config.queuePrefix}:${queue.name}:*`);
      expect(keys.length, queue.name).toBeGreaterThan(0);
      expect(new Set(keys.map((key) => keySlot(key))).size, queue.name).toBe(1);
    }
    const cluster = h.runtime.redis as Cluster;
    const masters = new Set<string>();
    for (const queue of h.runtime.callQueues) {
      const slot = keySlot(`${h.config.queuePrefix}:${queue.name}:id`);
      const owner = cluster.slots[slot]?.[0];
      expect(owner).toBeDefined();
      masters.add(owner as string);
    }
    expect(masters.size).toBe(3);
  });

  it('runs only the named partitions in a worker given WORKER_CALL_PARTITIONS', async () => {
    const before = h.logs.length;
    await h.spawnWorker({ WORKER_CALL_PARTITIONS: '1' });
    const started = h.logs
      .slice(before)
      .join('')
      .split('\n')
      .find((line) => line.includes('worker started'));
    expect(JSON.parse(started ?? '{}').queues).toEqual(['{connections}', '{calls-1}']);
  });
});
