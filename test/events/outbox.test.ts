import { Queue } from 'bullmq';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/connections/connect.js';
import { testConnection } from '../../src/connections/test.js';
import { connectionEvent } from '../../src/events/event.js';
import { EventPublisher, eventJob } from '../../src/events/publisher.js';
import type { Store } from '../../src/store/port.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { connectionInput } from '../store/fixtures.js';
import { providerConnector } from '../support/connectors.js';
import { DATABASE_URL, type Harness, startHarness } from '../support/harness.js';
import { queuedEvents } from './support.js';

// No worker in this process: nothing publishes unless a test starts a publisher.
let h: Harness;
let db: pg.Client;
const stores: Store[] = [];
const queues: Queue[] = [];

beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
  await h.applyConnector(providerConnector(h.provider.url));
  h.provider.registerClient({
    clientId: 'outbox-1',
    clientSecret: 'pw',
    account: { account_id: 'outbox-1', name: 'Ada', email: 'ada@example.com' },
  });
  db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  for (const queue of queues) await queue.close();
  for (const store of stores) await store.close();
  await h?.close();
});

/** The ids of every event stored and not yet published, from the database itself. */
async function pendingIds(): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT event->>'id' AS id FROM "${h.config.databaseSchema}".connections, jsonb_array_elements(pending_events) event`,
  );
  return rows.map((row) => row.id);
}

async function until(condition: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Another "process": its own store pool and queue connection, with every event it sends recorded. */
function publisherProcess(sent: string[], options: { batchSize?: number; leaseMs?: number } = {}) {
  const store = createPostgresStore({ url: DATABASE_URL, schema: h.config.databaseSchema });
  const queue = new Queue(h.runtime.queues.events.name, {
    connection: h.redisConnection('producer'),
    prefix: h.config.queuePrefix,
  });
  stores.push(store);
  queues.push(queue);
  const addBulk = queue.addBulk.bind(queue);
  queue.addBulk = (jobs) => {
    sent.push(...jobs.map((job) => job.opts?.jobId ?? ''));
    return addBulk(jobs);
  };
  return new EventPublisher(store.outbox, queue, h.runtime.log, { retentionCount: 10_000, pollMs: 20, ...options });
}

describe('the outbox', () => {
  it('when no publisher runs, events wait with the change; a worker started later publishes them all, same ids', async () => {
    const { services } = h.runtime;
    const result = await connect(services, {
      owner: 'ws-late',
      connector: 'acme',
      fields: { client_id: 'outbox-1', client_secret: 'pw' },
    });
    await testConnection(services, { owner: 'ws-late', connectionId: result.connectionId });
    const stored = await pendingIds();
    expect(stored).toHaveLength(2);
    expect(await queuedEvents(h.runtime.queues.events)).toEqual([]);

    // A worker process, as `npm run worker` starts it.
    const child = await h.spawnWorker();
    await until(async () => (await queuedEvents(h.runtime.queues.events)).length === 2);
    const published = await queuedEvents(h.runtime.queues.events);
    expect(published.map((event) => event.id)).toEqual(stored);
    expect(published.map((event) => event.type)).toEqual(['connection.created', 'connection.tested']);
    await until(async () => (await pendingIds()).length === 0);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  });

  it('when a publisher dies after sending but before releasing, the next one sends the same ids: each event once', async () => {
    const { store } = h.runtime;
    const made = await store.connections.upsert(connectionInput({ owner: 'ws-crash' }));
    const { connection } = made;
    const events = ['connection.renewed', 'connection.tested'] as const;
    await store.connections.update(
      connection.id,
      1,
      {},
      events.map((type) => connectionEvent(connection, { status: 'active', previousStatus: 'active' }, { type })),
    );
    const stored = await pendingIds();

    // The dying publisher: claims for a short lease, sends, never releases.
    const claimed = await store.outbox.claim(100, 300);
    const dying = claimed.flatMap((pending) => pending.events);
    await h.runtime.queues.events.addBulk(dying.map((event) => eventJob(event, 10_000)));

    const sent: string[] = [];
    const next = publisherProcess(sent, { leaseMs: 300 });
    expect(await next.publishOnce()).toBe(0); // still claimed by the dead one
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await next.publishOnce()).toBe(1);
    expect(sent).toEqual(stored);
    expect(await pendingIds()).toEqual([]);
    const queued = (await queuedEvents(h.runtime.queues.events)).filter((e) => e.connectionId === connection.id);
    expect(queued.map((event) => event.id).sort()).toEqual([...stored].sort());
  });

  it('when two publishers run at once, every event is sent exactly once, in order per connection', async () => {
    const { store } = h.runtime;
    const expected = new Map<string, string[]>();
    for (let index = 0; index < 40; index++) {
      const { connection } = await store.connections.upsert(
        connectionInput({ owner: 'ws-two', uniqueId: `two-${index}` }),
      );
      const events = (['connection.renewed', 'connection.renewal_failed', 'connection.error'] as const).map((type) =>
        connectionEvent(connection, { status: 'active', previousStatus: 'active' }, { type }),
      );
      await store.connections.update(connection.id, 1, {}, events);
      expected.set(
        connection.id,
        events.map((event) => event.id),
      );
    }
    const sent: string[] = [];
    const publishers = [publisherProcess(sent, { batchSize: 7 }), publisherProcess(sent, { batchSize: 7 })];
    for (const publisher of publishers) publisher.start();
    await until(async () => (await pendingIds()).length === 0);
    await Promise.all(publishers.map((publisher) => publisher.close()));

    const all = [...expected.values()].flat();
    expect(sent).toHaveLength(all.length);
    expect(new Set(sent)).toEqual(new Set(all));
    const queued = await queuedEvents(h.runtime.queues.events);
    for (const [connectionId, ids] of expected) {
      expect(queued.filter((event) => event.connectionId === connectionId).map((event) => event.id)).toEqual(ids);
    }
  });
});
