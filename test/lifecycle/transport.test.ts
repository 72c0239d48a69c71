/**
 * Producers seal with the workers' public key, and a sealed value opens only where it was sealed for. Connects sealed
 * by the SDK and by hand from the documented format both connect; sealed values moved into another field, another
 * connector's job or another connection's row fail with `invalid_sealed_value` before anything reaches the provider;
 * a producer process without ENCRYPTION_KEYS does everything; and no secret is left in clear anywhere.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import sodium from 'libsodium-wrappers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../src/definitions/schema.js';
import { type Client, createClient } from '../../src/queue/client.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { sealLegacy } from '../support/sealed.js';
import { dumpRedis, findLeaks } from '../support/secret-scan.js';

const run = promisify(execFile);
let h: Harness;
let acme: ConnectorDefinition;
/** Knows the acme definition: seals its secret fields only. */
let knowing: Client;
/** Knows no definition: seals every string field. */
let blind: Client;
let queue: Queue;
const secrets: string[] = [];

/** A client of the test provider whose secret the scan at the end looks for. */
function account(clientId: string): string {
  const secret = `${clientId}-secret-%:+/=`;
  secrets.push(secret);
  h.provider.registerClient({
    clientId,
    clientSecret: secret,
    issueRefreshToken: true,
    account: { account_id: clientId, name: clientId, email: `${clientId}@example.com` },
  });
  return secret;
}

/** Every request the provider has seen, of any kind. */
function providerRequests(): number {
  const { tokenRequests, refreshRequests, testRequests, apiRequests, revocations } = h.provider.stats;
  return tokenRequests + refreshRequests + testRequests + apiRequests + revocations.length;
}

/** What a producer in another language does, following README "Transport keys", with libsodium only. */
async function handSealed(connector: string, field: string, value: string): Promise<string> {
  await sodium.ready;
  const [id, key] = h.transportPublicKey.split(':') as [string, string];
  const plaintext = new TextEncoder().encode(JSON.stringify({ connector, field, value }));
  const box = sodium.crypto_box_seal(plaintext, Buffer.from(key, 'base64'));
  return `transport:v1:${id}:${Buffer.from(box).toString('base64url')}`;
}

/** Adds a connect job as any producer could, bypassing the SDK, and waits for its outcome. */
async function rawConnect(connector: string, fields: Record<string, unknown>) {
  const job = await queue.add('connect', { owner: 'tp', connector, fields });
  return { id: job.id as string, outcome: h.client.result('connect', job.id as string) };
}

/** The job's fields as they are now in Redis. */
async function jobFields(id: string): Promise<Record<string, unknown>> {
  return (await queue.getJob(id))?.data.fields;
}

beforeAll(async () => {
  h = await startHarness();
  acme = providerConnector(h.provider.url, { refresh: { url: `${h.provider.url}/oauth/token` } });
  await h.applyConnector(acme);
  await h.applyConnector({ ...acme, key: 'acme2', name: 'Acme Two' });
  knowing = createClient({ ...h.clientOptions, transportPublicKey: h.transportPublicKey, connectors: [acme] });
  blind = createClient({ ...h.clientOptions, transportPublicKey: h.transportPublicKey });
  queue = new Queue(h.runtime.queues.connections.name, {
    connection: h.redisConnection(),
    prefix: h.config.queuePrefix,
  });
});
afterAll(async () => {
  await queue?.close();
  await knowing?.close();
  await blind?.close();
  await h?.close();
});

describe('connects sealed with the public key', () => {
  it('by the SDK: the secret field only when it knows the connector, every string field otherwise', async () => {
    for (const [client, clientId] of [
      [knowing, 'sdk-knowing'],
      [blind, 'sdk-blind'],
    ] as const) {
      const secret = account(clientId);
      const id = await client.enqueue('connect', {
        owner: 'tp',
        connector: 'acme',
        fields: { client_id: clientId, client_secret: secret, environment: 'sandbox' },
      });
      expect(await client.result('connect', id)).toMatchObject({ created: true, uniqueId: clientId });
      // On pickup the worker replaced the envelope by an at-rest seal and opened the over-sealed non-secret fields.
      expect(await jobFields(id)).toEqual({
        client_id: clientId,
        client_secret: expect.stringMatching(/^sealed:v3:/),
        environment: 'sandbox',
      });
    }
  });

  it('by hand from the documented format, without the SDK', async () => {
    const secret = account('by-hand');
    const { id, outcome } = await rawConnect('acme', {
      client_id: await handSealed('acme', 'client_id', 'by-hand'),
      client_secret: await handSealed('acme', 'client_secret', secret),
    });
    expect(await outcome).toMatchObject({ created: true, uniqueId: 'by-hand' });
    expect(await jobFields(id)).toEqual({ client_id: 'by-hand', client_secret: expect.stringMatching(/^sealed:v3:/) });
  });
});

describe('a sealed value presented anywhere else', () => {
  it('in another field, or another connector’s job, fails with invalid_sealed_value and reaches no provider', async () => {
    const secret = account('moved');
    const sealedSecret = await handSealed('acme', 'client_secret', secret);
    const { id: pickedUp, outcome } = await rawConnect('acme', {
      client_id: 'moved',
      client_secret: await handSealed('acme', 'client_secret', secret),
    });
    await outcome;
    const atRest = (await jobFields(pickedUp)).client_secret;
    expect(atRest).toMatch(/^sealed:v3:/);
    const before = providerRequests();

    const moves: Record<string, [string, Record<string, unknown>]> = {
      'transport envelope into another field': ['acme', { client_id: sealedSecret, client_secret: sealedSecret }],
      'transport envelope into another connector': ['acme2', { client_id: 'moved', client_secret: sealedSecret }],
      'at-rest job value into another connector': ['acme2', { client_id: 'moved', client_secret: atRest }],
      'at-rest job value into another field': ['acme', { client_id: atRest, client_secret: sealedSecret }],
      'unbound value of the earlier format into a field that is not secret': [
        'acme',
        { client_id: sealLegacy(h.env.ENCRYPTION_KEYS!, 'moved'), client_secret: sealedSecret },
      ],
    };
    for (const [move, [connector, fields]] of Object.entries(moves)) {
      const { outcome: refused } = await rawConnect(connector, fields);
      await expect(refused, move).rejects.toThrow(/^\[invalid_sealed_value\] /);
    }
    expect(providerRequests()).toBe(before);
    const stored = await h.runtime.store.connections.list({ owner: 'tp', connector: 'acme2' });
    expect(stored.items).toEqual([]);
  });

  it('in another connection’s row fails with invalid_sealed_value and reaches no provider', async () => {
    const [one, two] = await Promise.all(
      ['row-one', 'row-two'].map(async (clientId) => {
        const secret = account(clientId);
        return knowing.connect({
          owner: 'tp',
          connector: 'acme',
          fields: { client_id: clientId, client_secret: secret },
        });
      }),
    );
    const donor = (await h.runtime.store.connections.get(one!.connectionId))!;
    const target = (await h.runtime.store.connections.get(two!.connectionId))!;
    const moved = await h.runtime.store.connections.update(target.id, target.version, {
      secrets: donor.secrets,
      accessToken: donor.accessToken,
    });
    expect(moved).not.toBeNull();
    await h.runtime.services.cache.publish(moved!);
    const before = providerRequests();

    const call = h.client.call({ owner: 'tp', connectionId: target.id, url: 'echo' });
    await expect(call).rejects.toThrow(/^\[invalid_sealed_value\] /);
    const refresh = h.client.refresh({ owner: 'tp', connectionId: target.id, force: true });
    await expect(refresh).rejects.toThrow(/^\[invalid_sealed_value\] /);
    expect(providerRequests()).toBe(before);
    // The donor's own values still open in their own row.
    expect(await h.client.call({ owner: 'tp', connectionId: donor.id, url: 'echo' })).toMatchObject({ status: 200 });
  });
});

describe('a client still given the at-rest ring', () => {
  it('keeps connecting, with a deprecation warning that names the fix', async () => {
    const warnings: Error[] = [];
    const listen = (warning: Error) => warnings.push(warning);
    process.on('warning', listen);
    const client = createClient({ ...h.clientOptions, encryptionKeys: h.env.ENCRYPTION_KEYS! });
    try {
      const secret = account('deprecated');
      const fields = { client_id: 'deprecated', client_secret: secret };
      expect(await client.connect({ owner: 'tp', connector: 'acme', fields })).toMatchObject({ created: true });
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([
        expect.stringMatching(
          /^DeprecationWarning: createClient: encryptionKeys is deprecated; give transportPublicKey/,
        ),
      ]);
    } finally {
      process.off('warning', listen);
      await client.close();
    }
  });
});

describe('a producer process without ENCRYPTION_KEYS', () => {
  it('connects, calls, refreshes and revokes with the public key alone', async () => {
    const secret = account('keyless');
    const script = `
      import { createClient } from './src/queue/client.ts';
      if (process.env.ENCRYPTION_KEYS !== undefined || process.env.TRANSPORT_PRIVATE_KEYS !== undefined) process.exit(3);
      const client = createClient({ ...${JSON.stringify(h.clientOptions)}, transportPublicKey: process.env.PUBLIC_KEY });
      const owner = 'tp';
      const connected = await client.connect({ owner, connector: 'acme', fields: { client_id: 'keyless', client_secret: process.env.SECRET } });
      const { connectionId } = connected;
      const called = await client.call({ owner, connectionId, url: 'echo' });
      const refreshed = await client.refresh({ owner, connectionId, force: true });
      const revoked = await client.revoke({ owner, connectionId });
      await client.close();
      process.stdout.write(JSON.stringify({ connected, status: called.status, refreshed, revoked }));`;
    const env: NodeJS.ProcessEnv = { ...process.env, PUBLIC_KEY: h.transportPublicKey, SECRET: secret };
    delete env.ENCRYPTION_KEYS;
    delete env.TRANSPORT_PRIVATE_KEYS;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      env,
    });
    expect(JSON.parse(stdout)).toMatchObject({
      connected: { created: true, uniqueId: 'keyless' },
      status: 200,
      refreshed: { renewed: true },
      revoked: { status: 'revoked' },
    });
    expect(stdout).not.toContain(secret);
  }, 60_000);
});

describe('the secret scan', () => {
  it('finds no secret or token in clear in Redis, the store or the logs', async () => {
    const tokens = h.provider.issuedTokens();
    expect(tokens.length).toBeGreaterThan(3);
    const haystacks = {
      redis: await dumpRedis(h.runtime.redis, h.config.queuePrefix),
      logs: h.logs.join(''),
      store: JSON.stringify((await h.runtime.store.connections.list({}, { limit: 1000 })).items),
    };
    expect(haystacks.redis).toContain('connect');
    expect(haystacks.store).toContain('sealed:v3:');
    expect(findLeaks(haystacks, [...secrets, ...tokens])).toEqual([]);
  });
});
