import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/reliability/**', 'test/browser/**', 'test/cluster/**', 'node_modules/**'],
    // Tests share one Redis and one PostgreSQL: each file uses its own queue prefix and its own schema.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
