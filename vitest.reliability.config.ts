import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: the fault scenarios (docs/RELIABILITY.md). They start their own worker processes and,
 * for some, their own Redis and PostgreSQL servers, so they run one file at a time; the run ends with a table.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/reliability/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
