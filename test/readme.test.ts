import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configVariableNames } from '../src/config.js';
import { ERROR_CODES } from '../src/error-codes.js';
import { CALLS_QUEUE, CONNECTION_JOBS, CONNECTIONS_QUEUE } from '../src/queue/names.js';
import { payloadSchemas } from '../src/queue/schemas.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every configuration variable', () => {
    const missing = configVariableNames().filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('documents every job with every payload key of its schema', () => {
    for (const job of [...CONNECTION_JOBS, 'call'] as const) {
      const row = readme.split('\n').find((line) => line.includes(`| \`${job}\` |`));
      expect(row, `a table row for ${job}`).toBeDefined();
      for (const key of Object.keys(payloadSchemas[job].shape)) expect(row).toContain(key);
    }
    expect(readme).toContain(`\`${CONNECTIONS_QUEUE}\``);
    expect(readme).toContain(`\`${CALLS_QUEUE}\``);
  });

  it('lists every error code of the catalogue', () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !readme.includes(`| \`${code}\` |`));
    expect(missing).toEqual([]);
  });

  it('shows the test command that CI runs', () => {
    expect(readme).toContain('npm test');
    expect(readFileSync(new URL('../.ci/run', import.meta.url), 'utf8')).toContain('npm test');
  });
});
