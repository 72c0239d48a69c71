import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSystem, cli, startCliSystem } from './cli.js';

let system: CliSystem;
let dir: string;

beforeAll(async () => {
  system = await startCliSystem();
  dir = await mkdtemp(join(tmpdir(), 'oauth-cc-cli-'));
});
afterAll(async () => {
  await system?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The parts of a definition the tests change; anything else may be added, as users do by mistake. */
type EditableDefinition = Record<string, unknown> & { key: string; name: string; token: { url: string } };

/** A copy of examples/connectors/generic.json under `name`, changed by `change`. */
async function writeDefinition(folder: string, name: string, change: (definition: EditableDefinition) => void) {
  const definition = JSON.parse(await readFile('examples/connectors/generic.json', 'utf8')) as EditableDefinition;
  change(definition);
  const file = join(folder, name);
  await writeFile(file, JSON.stringify(definition, null, 2));
  return file;
}

// Each case starts the CLI as a process, some several times; on a busy machine that alone takes seconds.
describe('connectors validate', { timeout: 120_000 }, () => {
  it('when given the catalogue, every entry passes with exit 0', async () => {
    const result = await cli(['connectors', 'validate', 'connectors'], {});
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^[3-9][0-9] files checked: 0 errors, 0 warnings$/);
    expect(result.code).toBe(0);
  });

  it('when a file is broken, it exits 1 and prints the file, the path and the fix for each error', async () => {
    const folder = await mkdtemp(join(dir, 'broken-'));
    const unknownVariable = await writeDefinition(folder, 'a.json', (d) => {
      d.token.url = 'https://auth.{{enviroment}}.example.com/oauth2/token';
    });
    const unknownKey = await writeDefinition(folder, 'b.json', (d) => {
      d.key = 'other';
      d.tokn = {};
    });
    await writeFile(join(folder, 'c.json'), '{ not json');

    const result = await cli(['connectors', 'validate', folder], {});

    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(`^${unknownVariable}: token\\.url: .*did you mean \\{\\{environment\\}\\}`),
    );
    expect(lines).toContainEqual(`${unknownKey}: tokn: unknown key; did you mean token?`);
    expect(lines).toContainEqual(expect.stringMatching(`^${join(folder, 'c.json')}: \\(root\\): not valid JSON`));
    expect(lines.at(-1)).toBe('3 files checked: 3 errors, 0 warnings');
  });

  it('when two files define the same key, the second one is an error naming the first', async () => {
    const folder = await mkdtemp(join(dir, 'twins-'));
    const first = await writeDefinition(folder, 'a.json', () => {});
    const second = await writeDefinition(folder, 'b.json', (d) => {
      d.name = 'Another name';
    });

    const result = await cli(['connectors', 'validate', folder], {});

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${second}: key: connector key "example-api" is already defined in ${first}`);
  });

  it('when a definition names an address that is not public, it warns and exits 0', async () => {
    const folder = await mkdtemp(join(dir, 'private-'));
    const file = await writeDefinition(folder, 'a.json', (d) => {
      d.token.url = 'https://169.254.169.254/oauth/token';
    });

    const result = await cli(['connectors', 'validate', folder], {});

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `${file}: token.url: warning: 169.254.169.254 is link-local (cloud metadata included), not a public address: ` +
        'workers refuse requests to it (egress_denied) unless EGRESS_ALLOWED_NETWORKS lists its network',
    );
    expect(result.stdout.trim().split('\n').at(-1)).toBe('1 file checked: 0 errors, 1 warning');
  });

  it('when the path does not exist, it says so in one line and exits 1', async () => {
    const result = await cli(['connectors', 'validate', join(dir, 'missing.json')], {});
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `oauth-cc: ${join(dir, 'missing.json')}: no such file or directory; give a connector .json file or a directory`,
    );
  });

  it('when the file argument is missing, it is a usage error with exit 2', async () => {
    const result = await cli(['connectors', 'validate'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: oauth-cc connectors validate <file|dir>');
  });
});

describe('connectors apply and list', { timeout: 120_000 }, () => {
  it('when applied twice and then changed, it reports created, unchanged, then updated, and publishes each version', async () => {
    const folder = await mkdtemp(join(dir, 'apply-'));
    await cp('examples/connectors/generic.json', join(folder, 'generic.json'));
    const file = join(folder, 'generic.json');

    const created = await cli(['connectors', 'apply', folder], system.env);
    expect(created.stdout).toBe(`created example-api (version 1) from ${file}\n`);
    expect(created.code).toBe(0);

    const unchanged = await cli(['connectors', 'apply', folder], system.env);
    expect(unchanged.stdout).toBe(`unchanged example-api (version 1) from ${file}\n`);

    await writeDefinition(folder, 'generic.json', (d) => {
      d.name = 'Example API v2';
    });
    const updated = await cli(['connectors', 'apply', file], system.env);
    expect(updated.stdout).toBe(`updated example-api (version 2) from ${file}\n`);
    expect(updated.code).toBe(0);

    const stored = await system.store.connectors.get('example-api');
    expect(stored?.definition.name).toBe('Example API v2');
    // Workers compare this key with the stamp they cached: without it they would keep the old definition.
    expect(await system.redis.get(`${system.prefix}:oauth-cc:connector-ver:example-api`)).toBe(
      String(stored?.updatedAt.getTime()),
    );

    const list = await cli(['connectors', 'list'], system.env);
    expect(list.code).toBe(0);
    const [header, row, ...rest] = list.stdout.trim().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['KEY', 'NAME', 'VERSION', 'UPDATED']);
    expect(row?.split(/\s{2,}/)).toEqual([
      'example-api',
      'Example API v2',
      '2',
      expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    ]);
    expect(rest).toEqual([]);
  });

  it('when one file of a directory has an error, nothing of the directory is applied', async () => {
    const folder = await mkdtemp(join(dir, 'partly-'));
    await writeDefinition(folder, 'a.json', (d) => {
      d.key = 'good-one';
    });
    const bad = await writeDefinition(folder, 'b.json', (d) => {
      d.key = 'bad-one';
      d.token.url = 'http://auth.example.com/token';
    });

    const result = await cli(['connectors', 'apply', folder], system.env);

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^${bad}: token\\.url: `, 'm'));
    expect(result.stderr).toContain('Nothing applied');
    expect(await system.store.connectors.get('good-one')).toBeNull();
  });
});
