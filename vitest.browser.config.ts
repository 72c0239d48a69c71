import { defineConfig } from 'vitest/config';

/** `npm run test:browser`: tests that drive a real Chromium (/usr/bin/chromium) against a running board. */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
