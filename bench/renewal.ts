/**
 * `npm run bench:renewal`: the cost of one renewal sweep at 10,000 and 100,000 connections.
 *
 * Each size gets a fresh PostgreSQL schema, seeded in one INSERT … SELECT generate_series (every connection active,
 * the due ones overdue by up to 10 minutes, the rest due in 1 to 25 hours), and its own Redis key prefix. A run
 * deletes the prefix's keys (no renewal pending, so every due connection is enqueued), then times one sweep. Runs
 * alternate between the sizes; figures are the median of RUNS runs after one warm-up.
 *
 * Two series:
 * - same due: 100 due connections at both sizes (1% of 10,000): the sweep's time must not follow the total,
 *   time(100k) / time(10k) ≤ 1.5;
 * - 1% due: 100 and 1,000 due connections: the time follows the due count, so the time per due connection must
 *   stay flat, (time/due)(100k) / (time/due)(10k) ≤ 1.5.
 *
 * Environment: DATABASE_URL (postgres://, default local), REDIS_URL (default local), RUNS (default 11).
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import pg from 'pg';
import { CONNECTIONS_QUEUE } from '../src/queue/names.js';
import { closeRedis, createRedis } from '../src/queue/redis.js';
import { type SweepResult, sweepDue } from '../src/scheduler/sweep.js';
import { createStore } from '../src/store/index.js';
import type { Store } from '../src/store/port.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUNS = Number(process.env.RUNS ?? 11);
const LIMIT = 1.5;
const SETTINGS = { horizonMs: 60_000, pageSize: 1000, cooldownMs: 300_000, spreadMs: 30_000 };

interface Measurement {
  total: number;
  due: number;
  examined: number;
  enqueued: number;
  medianMs: number;
  runsMs: number[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

async function seed(admin: pg.Client, schema: string, total: number, due: number): Promise<void> {
  const table = `${pg.escapeIdentifier(schema)}.connections`;
  const every = Math.floor(total / due);
  await admin.query(
    `INSERT INTO ${table} (connector, owner, unique_id, name, status, access_token, expires_at, renew_at)
     SELECT 'bench', 'owner-' || (n % 1000), 'u' || n, 'bench ' || n, 'active', 'sealed:bench',
            at + interval '5 minutes', at
     FROM (SELECT n, CASE WHEN n % $2 = 0 THEN now() - interval '1 second' * (n % 600)
                          ELSE now() + interval '1 hour' + interval '1 second' * (n % 86400) END AS at
           FROM generate_series(1, $1::int) AS n) AS rows`,
    [total, every],
  );
  await admin.query(`ANALYZE ${table}`);
}

async function deletePrefix(redis: ReturnType<typeof createRedis>, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

interface Fixture {
  total: number;
  due: number;
  schema: string;
  prefix: string;
  store: Store;
  queue: Queue;
  results: SweepResult[];
}

async function prepare(admin: pg.Client, total: number, due: number): Promise<Fixture> {
  const id = randomBytes(4).toString('hex');
  const schema = `bench_renewal_${id}`;
  const store = await createStore(DATABASE_URL, { schema });
  await store.migrate();
  await seed(admin, schema, total, due);
  const queue = new Queue(CONNECTIONS_QUEUE, { connection: producer, prefix: `bench${id}` });
  return { total, due, schema, prefix: `bench${id}`, store, queue, results: [] };
}

/** One sweep with nothing pending; its time measured here to a fraction of a millisecond. */
async function sweepOnce(fixture: Fixture): Promise<SweepResult> {
  await deletePrefix(redis, fixture.prefix);
  const started = performance.now();
  const result = await sweepDue({ store: fixture.store, queue: fixture.queue }, SETTINGS);
  return { ...result, tookMs: performance.now() - started };
}

async function dispose(admin: pg.Client, fixture: Fixture): Promise<void> {
  await deletePrefix(redis, fixture.prefix);
  await fixture.queue.close();
  await fixture.store.close();
  await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(fixture.schema)} CASCADE`);
}

function summary(fixture: Fixture): Measurement {
  const last = fixture.results.at(-1);
  return {
    total: fixture.total,
    due: fixture.due,
    examined: last?.due ?? 0,
    enqueued: last?.enqueued ?? 0,
    medianMs: median(fixture.results.map((result) => result.tookMs)),
    runsMs: fixture.results.map((result) => result.tookMs),
  };
}

function print(title: string, rows: Measurement[]): void {
  console.log(`\n${title}`);
  console.log('| connections | due | examined | enqueued | median ms | ms per due | runs (ms) |');
  console.log('|---:|---:|---:|---:|---:|---:|---|');
  for (const row of rows) {
    const perDue = (row.medianMs / row.due).toFixed(3);
    const runs = row.runsMs.map((ms) => ms.toFixed(1)).join(', ');
    console.log(
      `| ${row.total} | ${row.due} | ${row.examined} | ${row.enqueued} | ${row.medianMs.toFixed(1)} | ${perDue} | ${runs} |`,
    );
  }
}

const redis = createRedis(REDIS_URL, 'client');
const producer = createRedis(REDIS_URL, 'producer');
const admin = new pg.Client({ connectionString: DATABASE_URL });
await admin.connect();
const fixtures: Fixture[] = [];
try {
  for (const [total, due] of [
    [10_000, 100],
    [100_000, 100],
    [100_000, 1_000],
  ] as const)
    fixtures.push(await prepare(admin, total, due));
  // Runs alternate between the sizes, so that load from elsewhere on the machine falls on all of them alike.
  for (let run = 0; run <= RUNS; run++) {
    for (const fixture of fixtures) {
      const result = await sweepOnce(fixture);
      if (run > 0) fixture.results.push(result); // run 0 warms the pool, the plan cache and the Lua scripts
    }
  }
  const [small, large, largeOnePercent] = fixtures.map(summary) as [Measurement, Measurement, Measurement];
  print('Same due count (100), growing total:', [small, large]);
  print('1% due:', [small, largeOnePercent]);
  const totalRatio = large.medianMs / small.medianMs;
  const perDueRatio = largeOnePercent.medianMs / largeOnePercent.due / (small.medianMs / small.due);
  console.log(`\ntime(100k) / time(10k), same due count: ${totalRatio.toFixed(2)} (limit ${LIMIT})`);
  console.log(`time per due connection, 1% due, 100k / 10k: ${perDueRatio.toFixed(2)} (limit ${LIMIT})`);
  const ok = totalRatio <= LIMIT && perDueRatio <= LIMIT;
  console.log(ok ? 'PASS' : 'FAIL');
  process.exitCode = ok ? 0 : 1;
} finally {
  for (const fixture of fixtures) await dispose(admin, fixture);
  await admin.end();
  await Promise.allSettled([closeRedis(redis), closeRedis(producer)]);
}
