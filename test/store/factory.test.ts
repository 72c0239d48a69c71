/** createStore picks the adapter from the URL scheme. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import { POSTGRES_URL, throwawaySchema } from './fixtures.js';

describe('createStore', () => {
  it.each(['mysql://localhost/db', 'redis://127.0.0.1:6379', '', 'localhost:5432'])(
    'when the URL is %j, it fails with invalid_config naming DATABASE_URL',
    async (url) => {
      await expect(createStore(url)).rejects.toThrow(
        expect.objectContaining({
          kind: 'invalid_input',
          code: 'invalid_config',
          message: 'DATABASE_URL: must start with postgres:// or mongodb://',
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

  it('when the URL is mongodb:// and no server answers, it fails with a transient store_unavailable', async () => {
    const store = await createStore('mongodb://127.0.0.1:1/none?serverSelectionTimeoutMS=300');
    try {
      await expect(store.ping()).rejects.toMatchObject({ kind: 'transient', code: 'store_unavailable' });
    } finally {
      await store.close();
    }
  });

  it('when the URL is postgres://, the MongoDB driver is never loaded', async () => {
    // A fresh process: this test process has loaded mongoose for the contract suite.
    const probe = `
      import { createRequire } from 'node:module';
      const { createStore } = await import('./src/store/index.ts');
      const store = await createStore(${JSON.stringify(POSTGRES_URL)});
      await store.ping();
      await store.close();
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => /[/\\\\]mongo(ose|db)[/\\\\]/.test(path));
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
