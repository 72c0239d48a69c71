/**
 * After a full run with everything that could leak (plaintext producers, failures, retries, refresh tokens, calls
 * whose upstream echoes the secret and token in query, headers and body, revocations), no secret or token is found
 * in clear, base64 or URL-encoded form in Redis (job data, return values, progress, failed reasons, events streams,
 * job logs), in the stored rows, in the logs, or in the board's API answers.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLS_QUEUE, CONNECTIONS_QUEUE } from '../../src/queue/names.js';
import { BASIC, startOps } from '../ops/support.js';
import { providerConnector } from '../support/connectors.js';
import { DATABASE_URL, type Harness, startHarness } from '../support/harness.js';
import { dumpRedis, dumpSchema, findLeaks } from '../support/secret-scan.js';

let h: Harness;
let ops: Awaited<ReturnType<typeof startOps>>;
const secret = (label: string) => `${label}-${randomBytes(12).toString('base64url')}%:+/= x`;
const SECRETS = {
  good: secret('good'),
  echo: secret('echo'),
  plain: secret('plain'),
  plainUnknown: secret('unknown'),
  plainInvalid: secret('invalid'),
  wrong: secret('wrong'),
  retry: secret('retry'),
};
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

beforeAll(async () => {
  h = await startHarness({ env: { JOB_BACKOFF_MS: '20', LOG_LEVEL: 'debug' } });
  const url = h.provider.url;
  await h.applyConnector(providerConnector(url, { refresh: { url: `${url}/oauth/token` } }));
  // The API echoes the request: the connection's secret and token travel in the query, a header and the body.
  await h.applyConnector(
    providerConnector(url, {
      key: 'acme-echo',
      requestDefaults: {
        headers: { Authorization: 'Bearer {{access_token}}', 'X-Client-Secret': '{{client_secret}}' },
        query: { api_key: '{{client_secret}}', token: '{{access_token}}' },
        body: { secret: '{{client_secret}}', token: '{{access_token}}' },
      },
    }),
  );
  await h.applyConnector(
    providerConnector(url, {
      key: 'acme-jwt',
      fields: [
        { key: 'client_id', label: 'Client ID', type: 'text', required: true },
        { key: 'private_key', label: 'Private key (PEM)', type: 'secret', multiline: true, required: true },
      ],
      token: { url: `${url}/oauth/token`, clientAuth: 'private_key_jwt' },
    }),
  );
  const account = (id: string) => ({ account_id: id, name: id, email: `${id}@example.test` });
  h.provider.registerClient({
    clientId: 'good',
    clientSecret: SECRETS.good,
    issueRefreshToken: true,
    account: account('good'),
  });
  h.provider.registerClient({ clientId: 'echo', clientSecret: SECRETS.echo, account: account('echo') });
  h.provider.registerClient({ clientId: 'plain', clientSecret: SECRETS.plain, account: account('plain') });
  h.provider.registerClient({ clientId: 'retry', clientSecret: SECRETS.retry, account: account('retry') });
  h.provider.registerClient({
    clientId: 'jwt',
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    account: account('jwt'),
  });
  ops = await startOps(h.runtime);
});
afterAll(async () => {
  await ops?.server.close();
  await h?.close();
});

/** Every answer of the board's API: queue lists for every status, and each job's details and logs. */
async function boardAnswers(): Promise<string> {
  const get = async (path: string) => {
    const response = await ops.request(`/admin/queues/api${path}`, { authorization: BASIC });
    expect(response.status, path).toBe(200);
    return response.text();
  };
  const out: string[] = [];
  for (const status of ['latest', 'active', 'waiting', 'completed', 'failed', 'delayed', 'paused']) {
    for (const queue of [CONNECTIONS_QUEUE, CALLS_QUEUE]) {
      out.push(await get(`/queues?activeQueue=${queue}&status=${status}&page=1&jobsPerPage=300`));
    }
  }
  for (const queue of Object.values(h.runtime.queues)) {
    const jobs = await queue.getJobs(['completed', 'failed', 'delayed', 'waiting']);
    for (const job of jobs) {
      out.push(await get(`/queues/${queue.name}/${job.id}`), await get(`/queues/${queue.name}/${job.id}/logs`));
    }
  }
  return out.join('\n');
}

describe('secret scan after a full run', () => {
  it('finds no secret or token anywhere: Redis, stored rows, logs and board answers', async () => {
    const { client } = h;
    // Plaintext producers (another language): a known connector, an unknown one, and an invalid payload.
    const raw = new Queue(CONNECTIONS_QUEUE, { connection: h.runtime.redis, prefix: h.config.queuePrefix });
    const plainJobs = await Promise.all([
      raw.add('connect', {
        owner: 'ws',
        connector: 'acme',
        fields: { client_id: 'plain', client_secret: SECRETS.plain },
      }),
      raw.add('connect', {
        owner: 'ws',
        connector: 'nope',
        fields: { client_id: 'x', api_token: SECRETS.plainUnknown },
      }),
      raw.add('connect', {
        owner: 'ws',
        connector: 'acme',
        fields: { client_id: 'x', client_secret: SECRETS.plainInvalid },
        extra: 1,
      }),
    ]);
    const plainOutcomes = await Promise.allSettled(plainJobs.map((job) => client.result('connect', job.id as string)));
    expect(plainOutcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected']);

    const good = await client.connect({
      owner: 'ws',
      connector: 'acme',
      fields: { client_id: 'good', client_secret: SECRETS.good },
    });
    await client.test({ owner: 'ws', connectionId: good.connectionId });
    await client.refresh({ owner: 'ws', connectionId: good.connectionId, force: true });
    h.provider.revokeAllTokensOf('good');
    await client.call({ owner: 'ws', connectionId: good.connectionId, url: 'echo', headers: { 'X-Echo': 'yes' } });
    // A retried renewal: the provider fails twice first.
    h.provider.quirk({ failNextTokenRequests: 2 });
    await client.refresh({ owner: 'ws', connectionId: good.connectionId, force: true });
    h.provider.reset();
    await expect(
      client.connect({ owner: 'ws', connector: 'acme', fields: { client_id: 'good', client_secret: SECRETS.wrong } }),
    ).rejects.toThrow(/invalid_client/);
    // A connect that keeps failing transiently until it gives up.
    h.provider.quirk({ status503: true });
    await expect(
      client.connect({ owner: 'ws', connector: 'acme', fields: { client_id: 'retry', client_secret: SECRETS.retry } }),
    ).rejects.toThrow(/gave up/);
    h.provider.reset();

    const echo = await client.connect({
      owner: 'ws',
      connector: 'acme-echo',
      fields: { client_id: 'echo', client_secret: SECRETS.echo },
    });
    const echoed = await client.call({
      owner: 'ws',
      connectionId: echo.connectionId,
      method: 'POST',
      url: 'echo',
      body: { n: 1 },
    });
    // The upstream did receive them: the scan below would find them, had they not been redacted.
    expect(echoed.status).toBe(200);
    expect(h.provider.stats.apiRequests).toBeGreaterThan(0);
    await expect(
      client.call({ owner: 'ws', connectionId: echo.connectionId, url: 'status/500', timeoutMs: 5000 }),
    ).resolves.toMatchObject({ status: 500 });

    const jwt = await client.connect({
      owner: 'ws',
      connector: 'acme-jwt',
      fields: { client_id: 'jwt', private_key: privateKeyPem },
    });
    await client.refresh({ owner: 'ws', connectionId: jwt.connectionId, force: true });
    for (const { connectionId } of [good, echo, jwt]) await client.revoke({ owner: 'ws', connectionId });
    await client.revoke({ owner: 'ws', connectionId: good.connectionId });
    await expect(client.call({ owner: 'ws', connectionId: good.connectionId, url: 'echo' })).rejects.toThrow(/revoked/);
    await raw.close();

    const tokens = h.provider.issuedTokens();
    expect(tokens.length).toBeGreaterThan(8);
    const haystacks = {
      redis: await dumpRedis(h.runtime.redis, h.config.queuePrefix),
      store: await dumpSchema(DATABASE_URL, h.config.databaseSchema ?? 'public'),
      logs: h.logs.join(''),
      board: await boardAnswers(),
    };
    // The scan looks at real content: job data, failures and results are there.
    expect(haystacks.redis).toContain('gave up after 3 attempts');
    expect(haystacks.store).toContain('sealed:v3:');
    expect(haystacks.board).toContain('api_key');
    const keyLines = privateKeyPem.split('\n').filter((line) => line.length > 40);
    const needles = [...Object.values(SECRETS), ...tokens, ...keyLines];
    expect(findLeaks(haystacks, needles)).toEqual([]);
  }, 60_000);
});
