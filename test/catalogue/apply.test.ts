import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliSystem, cli, startCliSystem } from '../cli/cli.js';

let system: CliSystem;

beforeAll(async () => {
  system = await startCliSystem();
});
afterAll(async () => {
  await system?.close();
});

describe('connectors apply --catalogue', { timeout: 120_000 }, () => {
  it('when given keys, it stores those catalogue entries and no other', async () => {
    const result = await cli(['connectors', 'apply', '--catalogue', 'zoom', 'okta'], system.env);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^created okta \(version 1\) from .*connectors\/okta\.json$/m);
    expect(result.stdout).toMatch(/^created zoom \(version 1\) from .*connectors\/zoom\.json$/m);
    const stored = await system.store.connectors.list();
    expect(stored.map((connector) => connector.definition.key).sort()).toEqual(['okta', 'zoom']);
  });

  it('when a key is not in the catalogue, it names it with the nearest key and applies nothing', async () => {
    const result = await cli(['connectors', 'apply', '--catalogue', 'paypal', 'spotifyy'], system.env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not in the catalogue: spotifyy (did you mean spotify?)');
    expect((await system.store.connectors.get('paypal')) ?? undefined).toBeUndefined();
  });

  it('when neither a path nor --catalogue is given, it is a usage error', async () => {
    const result = await cli(['connectors', 'apply'], system.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give one file or directory, or --catalogue [key …]');
  });
});
