/**
 * What a cache miss costs the database and the worker: connections read by id through the PostgreSQL adapter, one
 * at a time and as the call path reads them (`reads at once` gets started in the same turn, which the adapter sends
 * as one statement). Prints, per connection read, the PostgreSQL server's CPU (`postgres-cpu.ts`, from /proc: run
 * it on a quiet machine with a local server) and this process's CPU (the pg client, row decoding, the adapter's
 * mapping).
 *
 *   npm run bench:store-reads
 *   npm run bench:store-reads -- --connections 20000 --at-once 1,10,50,200
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { newConnection } from '../src/domain/model.js';
import { createPostgresStore } from '../src/store/postgres/index.js';
import { findPostmaster, postgresCpuMicros } from './postgres-cpu.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '20000' },
    'at-once': { type: 'string', default: '1,10,50,200' },
  },
});
const count = Number(values.connections);
const batchSizes = (values['at-once'] ?? '').split(',').map(Number);
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `bench_reads_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

const postmaster = await findPostmaster(databaseUrl);
if (postmaster === null)
  throw new Error("bench:store-reads measures the PostgreSQL server from /proc: run it on the server's machine");
const serverCpu = () => postgresCpuMicros(postmaster);
const store = createPostgresStore({ url: databaseUrl, schema });
try {
  await store.migrate();
  const sealed = (n: number) => `sealed:v2:k1:${'A'.repeat(16)}:${'B'.repeat(n)}`;
  const ids: string[] = [];
  for (let from = 0; from < count; from += 100) {
    const written = await Promise.all(
      Array.from({ length: Math.min(100, count - from) }, (_, k) =>
        store.connections.upsert(
          newConnection({
            connector: 'bench',
            owner: 'owner',
            uniqueId: `client-${from + k}`,
            name: `bench ${from + k}`,
            fields: { client_id: `client-${from + k}` },
          }),
          undefined,
          () => ({ secrets: { client_secret: sealed(60) }, accessToken: sealed(120), tokenType: 'Bearer' }),
        ),
      ),
    );
    ids.push(...written.map(({ connection }) => connection.id));
  }
  console.log(`${count} connections in schema ${schema}; each read below reads all of them once`);
  console.log('reads at once   server µs/read   client µs/read   reads/s');
  for (const atOnce of batchSizes) {
    const server = serverCpu();
    const client = process.cpuUsage();
    const started = performance.now();
    for (let from = 0; from < ids.length; from += atOnce) {
      await Promise.all(ids.slice(from, from + atOnce).map((id) => store.connections.get(id)));
    }
    const seconds = (performance.now() - started) / 1000;
    const clientUsed = process.cpuUsage(client);
    const perRead = (micros: number) => (micros / ids.length).toFixed(1).padStart(15);
    console.log(
      `${String(atOnce).padStart(13)}  ${perRead(serverCpu() - server)}  ${perRead(clientUsed.user + clientUsed.system)}   ${Math.round(ids.length / seconds)}`,
    );
  }
} finally {
  await store.close();
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  await admin.end();
}
