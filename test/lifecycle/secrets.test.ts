/**
 * Secrets on the way in and out: after a full run, no secret or token is anywhere in Redis (job data, return
 * values, progress, failure reasons, events streams), in the logs, or in clear in the store.
 */
import { generateKeyPairSync } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { dumpRedis, findLeaks } from '../support/secret-scan.js';

let h: Harness;
const [firstSecret, producerSecret, wrongSecret] = [
  'first-secret-%:+/=',
  'plaintext-producer-secret',
  'wrong-secret-never-stored',
];
const secrets = [firstSecret, producerSecret, wrongSecret];
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

beforeAll(async () => {
  h = await startHarness();
  await h.applyConnector(providerConnector(h.provider.url, { refresh: { url: `${h.provider.url}/oauth/token` } }));
  await h.applyConnector(
    providerConnector(h.provider.url, {
      key: 'acme-jwt',
      fields: [
        { key: 'client_id', label: 'Client ID', type: 'text', required: true },
        { key: 'private_key', label: 'Private key (PEM)', type: 'secret', multiline: true, required: true },
      ],
      token: { url: `${h.provider.url}/oauth/token`, clientAuth: 'private_key_jwt' },
    }),
  );
  h.provider.registerClient({
    clientId: 'one',
    clientSecret: firstSecret,
    issueRefreshToken: true,
    account: { account_id: 'one', name: 'One', email: 'one@example.com' },
  });
  h.provider.registerClient({
    clientId: 'two',
    clientSecret: producerSecret,
    account: { account_id: 'two', name: 'Two', email: 'two@example.com' },
  });
  h.provider.registerClient({
    clientId: 'jwt',
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    account: { account_id: 'jwt', name: 'Jay', email: 'jwt@example.com' },
  });
});
afterAll(() => h?.close());

describe('secrets', () => {
  it('a plaintext secret from another producer is sealed in the job data on pickup', async () => {
    const queue = new Queue(h.runtime.queues.connections.name, {
      connection: h.redisConnection(),
      prefix: h.config.queuePrefix,
    });
    const job = await queue.add('connect', {
      owner: 'ws',
      connector: 'acme',
      fields: { client_id: 'two', client_secret: producerSecret },
    });
    const result = await h.client.result('connect', job.id as string);
    expect(result.created).toBe(true);
    const stored = await queue.getJob(job.id as string);
    expect(stored?.data.fields.client_secret).toMatch(/^sealed:v3:/);
    await queue.close();
  });

  it('private_key_jwt connects end to end through the connect job', async () => {
    const result = await h.client.connect({
      owner: 'ws',
      connector: 'acme-jwt',
      fields: { client_id: 'jwt', private_key: privateKeyPem },
    });
    expect(result).toMatchObject({ created: true, uniqueId: 'jwt' });
  });

  it('after a full run, no secret or token is in Redis, the logs, or in clear in the store', async () => {
    const { connectionId } = await h.client.connect({
      owner: 'ws',
      connector: 'acme',
      fields: { client_id: 'one', client_secret: firstSecret },
    });
    await h.client.test({ owner: 'ws', connectionId });
    await h.client.refresh({ owner: 'ws', connectionId, force: true });
    await h.client.call({ owner: 'ws', connectionId, url: 'echo', headers: { 'X-Echo': 'yes' } });
    h.provider.revokeAllTokensOf('one');
    await h.client.call({ owner: 'ws', connectionId, url: 'echo' });
    await expect(
      h.client.connect({ owner: 'ws', connector: 'acme', fields: { client_id: 'one', client_secret: wrongSecret } }),
    ).rejects.toThrow();
    await h.client.revoke({ owner: 'ws', connectionId });

    const tokens = h.provider.issuedTokens();
    expect(tokens.length).toBeGreaterThan(3);
    const haystacks = {
      redis: await dumpRedis(h.runtime.redis, h.config.queuePrefix),
      logs: h.logs.join(''),
      store: JSON.stringify((await h.runtime.store.connections.list({})).items),
    };
    expect(haystacks.logs.length).toBeGreaterThan(0);
    expect(haystacks.redis).toContain('connect');
    const hits = findLeaks(haystacks, [...secrets, ...tokens, privateKeyPem.split('\n')[1] as string]);
    expect(hits).toEqual([]);
  });
});
