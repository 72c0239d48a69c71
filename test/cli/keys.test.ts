import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/domain/model.js';
import { KeyRing } from '../../src/secrets/keyring.js';
import { secretPlace } from '../../src/secrets/places.js';
import { connectionInput } from '../store/fixtures.js';
import { openedValues, sealedFor, sealLegacy } from '../support/sealed.js';
import { type CliSystem, cli, startCliSystem } from './cli.js';

describe('keys generate', () => {
  it('when run, it prints only a key entry that ENCRYPTION_KEYS accepts, and explains where it goes', async () => {
    const result = await cli(['keys', 'generate', '--id', 'k9'], {});

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^k9:[A-Za-z0-9+/]{43}=\n$/);
    const ring = KeyRing.parse(result.stdout.trim());
    expect(ring.currentKeyId).toBe('k9');
    expect(result.stderr).toContain('Put it first in ENCRYPTION_KEYS');
    expect(result.stderr).not.toContain(result.stdout.trim());
  });

  it('when run twice without an id, it prints two different keys with default ids', async () => {
    const [a, b] = await Promise.all([cli(['keys', 'generate'], {}), cli(['keys', 'generate'], {})]);
    expect(a.stdout).toMatch(/^k\d+:/);
    expect(a.stdout).not.toBe(b.stdout);
  });

  it('when the id is not usable, it is a usage error that says which characters are allowed', async () => {
    const result = await cli(['keys', 'generate', '--id', 'bad id:'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('oauth-cc: --id: "bad id:" is not a valid key id; use letters, digits, _ and -');
    expect(result.stdout).toBe('');
  });
});

describe('keys rotate', () => {
  const k1 = KeyRing.generateKey('k1');
  const k2 = KeyRing.generateKey('k2');
  const old = KeyRing.parse(k1);
  const onlyNew = KeyRing.parse(k2);
  let system: CliSystem;
  let seeded: Connection[];

  beforeAll(async () => {
    system = await startCliSystem(k1);
    seeded = [];
    // a and b hold values bound to their connection, c values of the earlier, unbound format.
    for (const name of ['a', 'b', 'c']) {
      const clear = {
        secrets: { client_secret: `secret-${name}` },
        accessToken: `access-${name}`,
        refreshToken: name === 'a' ? 'refresh-a' : null,
      };
      const input = connectionInput({ owner: 'ws-rotate', uniqueId: name, name, fields: { client_id: name } });
      const { connection } =
        name === 'c'
          ? await system.store.connections.upsert({
              ...input,
              secrets: { client_secret: sealLegacy(k1, clear.secrets.client_secret) },
              accessToken: sealLegacy(k1, clear.accessToken),
            })
          : await system.store.connections.upsert(input, undefined, sealedFor(old, clear));
      seeded.push(connection);
    }
  });
  afterAll(() => system?.close());

  const sealedValues = (c: Connection) =>
    [...Object.values(c.secrets), c.accessToken, c.refreshToken].filter((v): v is string => v !== null);

  it('when a new key is put first, it re-seals every stored value with it; a second run finds nothing to do', async () => {
    const env = { ...system.env, ENCRYPTION_KEYS: `${k2},${k1}` };

    const first = await cli(['keys', 'rotate'], env);

    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      'Examined 3 connections: re-sealed 3 with key "k2", upgraded 2 values to the bound format',
    );
    expect(first.stderr).toContain('examined 3, re-sealed 3');
    expect(first.stderr).toContain('the older keys (k1) can now be removed');
    for (const before of seeded) {
      const after = await system.store.connections.get(before.id);
      expect(after).not.toBeNull();
      for (const value of sealedValues(after!)) expect(value).toMatch(/^sealed:v3:k2:/);
      // Opens without k1, to the same clear text as before.
      expect(openedValues(onlyNew, after!)).toEqual(openedValues(old, before));
    }
    for (const clear of ['secret-a', 'access-a', 'refresh-a', 'sealed:v'])
      expect(first.stdout + first.stderr).not.toContain(clear);

    const second = await cli(['keys', 'rotate'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Examined 3 connections: re-sealed 0');
  });

  it('when a stored value was sealed with a key that is not in the ring, it names that connection and exits 1', async () => {
    const lost = KeyRing.parse(KeyRing.generateKey('k0'));
    const { connection } = await system.store.connections.upsert({
      ...seeded[0]!,
      uniqueId: 'lost',
      secrets: { client_secret: lost.seal('secret-lost', secretPlace(seeded[0]!.id, 'client_secret')) },
    });

    const result = await cli(['keys', 'rotate'], { ...system.env, ENCRYPTION_KEYS: `${k2},${k1}` });

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^failed ${connection.id}: .*"k0"`, 'm'));
    expect(result.stderr).toContain('run again');
  });
});

describe('keys transport and keys public', () => {
  it('prints a private entry and its public key; keys public prints that public key from TRANSPORT_PRIVATE_KEYS', async () => {
    const made = await cli(['keys', 'transport', '--id', 't7'], {});
    expect(made.code).toBe(0);
    const [privateEntry, publicKey] = made.stdout.trim().split('\n') as [string, string];
    expect(privateEntry).toMatch(/^t7:[A-Za-z0-9+/]{43}=$/);
    expect(publicKey).toMatch(/^t7:[A-Za-z0-9+/]{43}=$/);
    expect(made.stderr).toContain('TRANSPORT_PRIVATE_KEYS');
    expect(made.stderr).not.toContain(privateEntry);

    const shown = await cli(['keys', 'public'], { TRANSPORT_PRIVATE_KEYS: privateEntry });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toBe(`${publicKey}\n`);
  });

  it('keys public without TRANSPORT_PRIVATE_KEYS says how to make one', async () => {
    const result = await cli(['keys', 'public'], { TRANSPORT_PRIVATE_KEYS: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('TRANSPORT_PRIVATE_KEYS: not set; create a pair with `oauth-cc keys transport`');
  });
});
