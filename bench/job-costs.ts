/**
 * `npm run bench:costs`: what one job of each kind costs Redis and the store, for the capacity plan in
 * docs/SCALING.md. One process runs the real worker (`startWorker`) on its own runtime, whose store operations are
 * counted (`store-counter.ts`), and drives it through a second runtime and the SDK. Kinds, one phase each, `JOBS`
 * jobs per phase (default 2,000), over connections written to the store beforehand (`seed-connections.ts`):
 *
 * - event: events written to connections' outboxes (by the driver, uncounted), published by the worker into the
 *   events queue. No consumer reads that queue here (no WEBHOOK_URL): a consumer's side costs like any BullMQ job.
 * - call: one call job each, twice: the worker's cache misses every connection, then holds every one (the case
 *   `npm run bench` measures with more load).
 * - renewal: one forced `refresh` job each (a scheduled renewal runs the same job), its event included.
 * - connect: one `connect` job each (token request, test call), its event included.
 *
 * Redis figures are the server's CPU time (user + system), commands processed and change of used memory over the
 * phase, divided by the jobs: run it on a Redis no one else uses (REDIS_URL), or the figures include their work.
 * Memory includes what stays after a job: a connect's scheduled renewal and version key, finished jobs up to
 * JOB_RETENTION_COUNT, and events, which no one consumes here. DATABASE_URL as usual.
 */
import { randomBytes } from 'node:crypto';
import type { Worker } from 'bullmq';
import { loadConfig } from '../src/config.js';
import { connectionEvent } from '../src/events/event.js';
import { createLogger } from '../src/log.js';
import { createClient } from '../src/queue/client.js';
import { CALL_JOB, CALLS_QUEUE, CONNECTIONS_QUEUE } from '../src/queue/names.js';
import { createRuntime } from '../src/runtime.js';
import { KeyRing } from '../src/secrets/keyring.js';
import { providerConnector } from '../test/support/connectors.js';
import { startProvider } from '../test/support/provider.js';
import { startWorker } from '../workers/start-worker.js';
import { dropSchema, OWNER } from './call-bench.js';
import { deleteKeys, redisCpuMicros } from './redis-nodes.js';
import { seedConnections } from './seed-connections.js';
import { countStoreOperations, isStoreRead, type StoreCounts } from './store-counter.js';

const JOBS = Number(process.env.JOBS ?? 2000);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const id = randomBytes(4).toString('hex');
const prefix = `benchcost${id}`;
const schema = `bench_${id}`;
const keySpec = KeyRing.generateKey('bench');
const config = loadConfig({
  NODE_ENV: 'production',
  REDIS_URL: redisUrl,
  DATABASE_URL: databaseUrl,
  DATABASE_SCHEMA: schema,
  QUEUE_PREFIX: prefix,
  ENCRYPTION_KEYS: keySpec,
});
const silent = createLogger({ level: 'silent' });
let failures = 0;

const provider = await startProvider();
for (let i = 0; i < 2 * JOBS; i++)
  provider.registerClient({ clientId: `bench-${i}`, clientSecret: `bench-secret-${i}`, lifetimeSeconds: 3600 });
const driver = await createRuntime(config, silent);
const workerRuntime = await createRuntime(config, silent);
const storeCounts = countStoreOperations(workerRuntime.store);
const client = createClient({ redisUrl, prefix, encryptionKeys: keySpec });
let worker: ReturnType<typeof startWorker> | undefined;
try {
  const definition = providerConnector(provider.url, { key: 'bench' });
  await driver.services.cache.applyConnector(definition);
  const ids = [...(await seedConnections(driver, definition, OWNER, provider.url, JOBS)).keys()];
  worker = startWorker(workerRuntime);
  const finished = finishedCounter(worker.workers);
  const callEach = async () => {
    const done = finished(CALLS_QUEUE, ids.length);
    await driver.queues.calls.addBulk(
      ids.map((connectionId) => ({ name: CALL_JOB, data: { owner: OWNER, connectionId, url: 'items' } })),
    );
    await done;
  };
  const rows = [
    await phase('event', async () => {
      const before = await driver.queues.events.count();
      for (const connectionId of ids) {
        const connection = await driver.store.connections.get(connectionId);
        if (!connection) throw new Error(`connection ${connectionId} is gone`);
        const event = connectionEvent(
          connection,
          { status: 'active', previousStatus: 'active' },
          {
            type: 'connection.tested',
            ok: true,
          },
        );
        await driver.store.connections.update(connectionId, connection.version, {}, [event]);
      }
      await until(async () => (await driver.queues.events.count()) - before >= JOBS);
    }),
    // One call per connection, twice: the first pass finds no connection in the cache, the second finds each one.
    await phase('call, cache miss', callEach),
    await phase('call, cache hit', callEach),
    await phase('renewal', async () => {
      const done = finished(CONNECTIONS_QUEUE, JOBS);
      for (const connectionId of ids) await client.enqueue('refresh', { owner: OWNER, connectionId, force: true });
      await done;
    }),
    await phase('connect', async () => {
      const done = finished(CONNECTIONS_QUEUE, JOBS);
      for (let i = JOBS; i < 2 * JOBS; i++)
        await client.enqueue('connect', {
          owner: OWNER,
          connector: 'bench',
          fields: { client_id: `bench-${i}`, client_secret: `bench-secret-${i}` },
        });
      await done;
    }),
  ];
  console.log(`\nCost per job, ${JOBS} jobs per kind, Redis at ${new URL(redisUrl).host}\n`);
  console.log(
    [
      'kind',
      'Redis µs',
      'commands',
      'memory Δ bytes',
      'store reads',
      'store writes',
      'failed',
      'store operations per job',
    ].join(' | '),
  );
  for (const row of rows) console.log(row);
} finally {
  await worker?.close();
  await client.close();
  for (const queue of driver.allQueues) await queue.obliterate({ force: true }).catch(() => {});
  await deleteKeys(driver.redis, prefix);
  await workerRuntime.close();
  await driver.close();
  await provider.close();
  await dropSchema(databaseUrl, schema);
}

/** Runs one phase and returns its row: Redis CPU and commands, store operations, per job. */
async function phase(kind: string, run: () => Promise<void>): Promise<string> {
  const failedBefore = failures;
  const [cpuBefore, commandsBefore, memoryBefore, storeBefore] = [
    await redisCpuMicros(driver.redis),
    await stat('stats', 'total_commands_processed'),
    await stat('memory', 'used_memory'),
    storeCounts(),
  ];
  await run();
  const cpu = (await redisCpuMicros(driver.redis)) - cpuBefore;
  const commandCount = (await stat('stats', 'total_commands_processed')) - commandsBefore;
  const memory = (await stat('memory', 'used_memory')) - memoryBefore;
  const store: StoreCounts = Object.fromEntries(
    Object.entries(storeCounts())
      .map(([operation, count]) => [operation, (count - (storeBefore[operation] ?? 0)) / JOBS] as const)
      .filter(([, perJob]) => perJob > 0),
  );
  const total = (reads: boolean) =>
    Object.entries(store)
      .filter(([operation]) => isStoreRead(operation) === reads)
      .reduce((sum, [, perJob]) => sum + perJob, 0);
  const detail = Object.entries(store)
    .map(([operation, perJob]) => `${operation} ${perJob.toFixed(3)}`)
    .join(', ');
  return [
    kind,
    Math.round(cpu / JOBS),
    (commandCount / JOBS).toFixed(1),
    Math.round(memory / JOBS),
    total(true).toFixed(3),
    total(false).toFixed(3),
    failures - failedBefore,
    detail,
  ].join(' | ');
}

/** `finished(queue, n)` resolves once the workers of `queue` have finished `n` more jobs (completed or failed). */
function finishedCounter(workers: Worker[]) {
  const waiting: Array<{ kind: string; left: number; resolve: () => void }> = [];
  const kindOf = (name: string) =>
    name.replace(/[{}]/g, '').startsWith(CALLS_QUEUE) ? CALLS_QUEUE : name.replace(/[{}]/g, '');
  for (const w of workers)
    for (const outcome of ['completed', 'failed'] as const)
      w.on(outcome, () => {
        if (outcome === 'failed') failures++;
        const entry = waiting.find((candidate) => candidate.kind === kindOf(w.name));
        if (entry && --entry.left === 0) {
          waiting.splice(waiting.indexOf(entry), 1);
          entry.resolve();
        }
      });
  return (kind: string, count: number) => new Promise<void>((resolve) => waiting.push({ kind, left: count, resolve }));
}

/** A figure of the Redis server's INFO. */
async function stat(section: string, name: string): Promise<number> {
  const info = await driver.redis.info(section);
  return Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

async function until(done: () => Promise<boolean>): Promise<void> {
  while (!(await done())) await new Promise((resolve) => setTimeout(resolve, 50));
}
