import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cluster`: the end-to-end lifecycle, call, renewal and events tests, and test/cluster/, against a
 * local six-node Redis Cluster (three masters, three replicas on ports 7000-7005) with three call partitions. The
 * global setup starts the cluster unless one is already up, and stops what it started.
 */
export default defineConfig({
  test: {
    include: [
      'test/lifecycle/**/*.test.ts',
      'test/call/**/*.test.ts',
      'test/renewal/**/*.test.ts',
      'test/events/**/*.test.ts',
      'test/cluster/**/*.test.ts',
    ],
    globalSetup: ['test/cluster/global-setup.ts'],
    env: {
      TEST_REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002',
      TEST_CALL_PARTITIONS: '3',
    },
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
