import { describe, expect, it } from 'vitest';
import { cli } from './cli.js';

describe('oauth-cc usage', () => {
  it('when asked for help, it lists every command on stdout and exits 0', async () => {
    const result = await cli(['--help'], {});
    expect(result.code).toBe(0);
    for (const command of [
      'connectors validate <file|dir>',
      'connectors apply [file|dir|key…] [options]',
      'connectors try <file|key> [options]',
      'connectors list',
      'connections list [options]',
      'connections show <id>',
      'keys generate [options]',
      'keys rotate',
    ])
      expect(result.stdout).toContain(`  ${command} `);
  });

  it('when a command is asked for help, it shows its options and exits 0', async () => {
    const result = await cli(['connections', 'list', '--help'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: oauth-cc connections list \[--owner OWNER\] \[--connector KEY\]/);
    expect(result.stdout).toMatch(/--status STATUS +only connections in this status/);
  });

  it('when the command is misspelled, it suggests the right one and exits 2', async () => {
    const [typo, group] = await Promise.all([cli(['connector', 'list'], {}), cli(['keys'], {})]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^oauth-cc: unknown command "connector list"; did you mean "connectors list"\?\n/);
    expect(group.code).toBe(2);
    expect(group.stderr).toMatch(
      /^oauth-cc: "keys" needs a command: keys generate, keys transport, keys public, keys rotate\n/,
    );
  });

  it('when the configuration is invalid, it names the variable in one line and exits 1', async () => {
    const result = await cli(['connectors', 'list'], { REDIS_URL: 'http://nope', ENCRYPTION_KEYS: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('oauth-cc: REDIS_URL: must be a redis:// or rediss:// URL\n');
  });
});
