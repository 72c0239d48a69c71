/** The benchmark's reading of the PostgreSQL server's CPU time from /proc (bench/postgres-cpu.ts). */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { findPostmaster, postgresCpuMicros } from '../../bench/postgres-cpu.js';

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('PostgreSQL CPU time (benchmark)', () => {
  it('finds the local server and counts the CPU a query spends in its backend', async () => {
    const postmaster = await findPostmaster(databaseUrl);
    expect(postmaster).toBeTypeOf('number');
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const before = postgresCpuMicros(postmaster as number);
      const started = process.hrtime.bigint();
      // Pure server work: a few hundred milliseconds of counting, nothing sent back but one number.
      await client.query('SELECT count(*) FROM generate_series(1, 5000000)');
      const elapsedMicros = Number(process.hrtime.bigint() - started) / 1000;
      const spent = postgresCpuMicros(postmaster as number) - before;
      // Counting five million rows takes a few hundred milliseconds of CPU whatever the load (only its wall time
      // grows), and the server cannot have spent more than both cores for the query's duration (ticks of 10 ms).
      expect(spent).toBeGreaterThan(50_000);
      expect(spent).toBeLessThanOrEqual(2 * elapsedMicros + 20_000);
    } finally {
      await client.end();
    }
  });

  it('counts the CPU of a backend that has ended (its connection closed)', async () => {
    const postmaster = (await findPostmaster(databaseUrl)) as number;
    const before = postgresCpuMicros(postmaster);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query('SELECT count(*) FROM generate_series(1, 5000000)');
    await client.end();
    // The postmaster reaps the ended backend; its time moves to the postmaster's children's time.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(postgresCpuMicros(postmaster) - before).toBeGreaterThan(50_000);
  });
});
