/** createStore picks the adapter from the URL scheme. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import { connectionInput, POSTGRES_URL, throwawaySchema } from './fixtures.js';

describe('createStore', () => {
  it.each(['mysql://localhost/db', 'redis://127.0.0.1:6379', '', 'localhost:5432'])(
    'when the URL is %j, it fails with invalid_config naming DATABASE_URL',
    async (url) => {
      await expect(createStore(url)).rejects.toThrow(
        expect.objectContaining({
          kind: 'invalid_input',
          code: 'invalid_config',
          message: 'DATABASE_URL: must start with postgres://, mongodb:// or pglite:// (the embedded store)',
        }),
      );
    },
  );

  it('when the URL is postgres:// or postgresql://, it returns a working PostgreSQL store', async () => {
    const schema = throwawaySchema('store_factory');
    const urls = [POSTGRES_URL, POSTGRES_URL.replace(/^postgres:/, 'postgresql:')];
    try {
      for (const url of urls) {
        const store = await createStore(url, { schema: schema.name, poolSize: 2 });
        try {
          await store.migrate();
          expect(await store.connections.countByStatus()).toMatchObject({ active: 0 });
        } finally {
          await store.close();
        }
      }
    } finally {
      await schema.drop();
    }
  });

  it('when the URL is pglite://<dir>, it returns a working embedded store whose data outlives it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth-cc-pglite-'));
    try {
      const first = await createStore(`pglite://${dir}`);
      await first.migrate();
      const { connection } = await first.connections.upsert(connectionInput());
      await first.close();
      const second = await createStore(`pglite://${dir}`);
      try {
        expect(await second.connections.get(connection.id)).toEqual(connection);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when another process holds the embedded store, it fails with one line naming DATABASE_URL and the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth-cc-pglite-'));
    // A live process that is not this one: the test runner's parent.
    writeFileSync(`${dir}/pglite.lock`, `${process.ppid}\n`);
    try {
      await expect(createStore(`pglite://${dir}/pglite`)).rejects.toMatchObject({
        code: 'invalid_config',
        message: `DATABASE_URL: the embedded store in ${dir}/pglite is in use by process ${process.ppid}, and it serves one process; stop that one, or set DATABASE_URL to a PostgreSQL server to run several`,
      });
      // A lock left by a process that is gone is taken over.
      writeFileSync(`${dir}/pglite.lock`, '2147483646\n');
      const store = await createStore(`pglite://${dir}/pglite`);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when the URL is mongodb:// and no server answers, it fails with a transient store_unavailable', async () => {
    const store = await createStore('mongodb://127.0.0.1:1/none?serverSelectionTimeoutMS=300');
    try {
      await expect(store.ping()).rejects.toMatchObject({ kind: 'transient', code: 'store_unavailable' });
    } finally {
      await store.close();
    }
  });

  it('when the URL is postgres://, neither the MongoDB driver nor PGlite is loaded', async () => {
    // A fresh process: this test process has loaded mongoose for the contract suite.
    const probe = `
      import { createRequire } from 'node:module';
      const { createStore } = await import('./src/store/index.ts');
      const store = await createStore(${JSON.stringify(POSTGRES_URL)});
      await store.ping();
      await store.close();
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => /[/\\\\](mongo(ose|db)|pglite)[/\\\\]/.test(path));
      console.log(JSON.stringify(loaded));`;
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      probe,
    ]);
    expect(JSON.parse(stdout)).toEqual([]);
  });
});
