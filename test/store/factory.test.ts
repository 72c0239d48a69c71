/** createStore picks the adapter from the URL scheme. */
import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/store/index.js';
import { POSTGRES_URL, throwawaySchema } from './fixtures.js';

describe('createStore', () => {
  it.each(['mysql://localhost/db', 'redis://127.0.0.1:6379', '', 'localhost:5432'])(
    'when the URL is %j, it fails with invalid_config naming DATABASE_URL',
    (url) => {
      expect(() => createStore(url)).toThrow(
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
        const store = createStore(url, { schema: schema.name, poolSize: 2 });
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
    const store = createStore('mongodb://127.0.0.1:1/none?serverSelectionTimeoutMS=300');
    try {
      await expect(store.ping()).rejects.toMatchObject({ kind: 'transient', code: 'store_unavailable' });
    } finally {
      await store.close();
    }
  });
});
