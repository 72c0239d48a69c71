import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configVariableNames } from '../../src/config.js';
import { DATABASE_URL, REDIS_URL } from '../support/harness.js';

const dataDir = mkdtempSync(join(tmpdir(), 'oauth-cc-demo-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm run demo', () => {
  // A bare machine has only Redis: without DATABASE_URL the demo keeps its data in an embedded store (in DATA_DIR).
  it.each([
    ['PostgreSQL', { DATABASE_URL }],
    ['the embedded store (DATABASE_URL unset)', { DATA_DIR: dataDir }],
  ])(
    'when run outside a terminal on %s, it walks the whole lifecycle, prints no secret and exits 0',
    async (_, store) => {
      const inherited = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !configVariableNames().includes(name)),
      );
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
        env: { ...inherited, ...store, REDIS_URL },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += String(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += String(chunk);
      });
      const [code] = await once(child, 'exit');
      expect(output).toMatch(/Bull Board: http:\/\/127\.0\.0\.1:\d+\/admin\/queues/);
      const steps = [...output.matchAll(/^(\d)\. (\w+): .*\n {3}([✓✗])/gm)].map(
        ([, n, name, mark]) => `${n} ${name} ${mark}`,
      );
      expect(steps).toEqual(['1 connect ✓', '2 test ✓', '3 call ✓', '4 refresh ✓', '5 revoke ✓', '6 call ✗']);
      expect(output).toMatch(/"status": "revoked",\s+"providerRevoked": true/);
      expect(output).toMatch(/\[connection_revoked\]/);
      expect(output).toMatch(/None of the \d+ secrets involved .* appeared above/);
      expect(output).not.toMatch(/sealed:v|transport:v|Bearer [\w-]{10}|demo-secret-/);
      expect(code).toBe(0);
      // The embedded case wrote its database in a directory of its own beside the default one, and let go of it.
      if ('DATA_DIR' in store) expect(readdirSync(join(dataDir, 'demo')).sort()).toEqual(['pglite']);
    },
    120_000,
  );
});
