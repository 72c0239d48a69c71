import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRedis } from '../../src/queue/redis.js';
import { createRuntime } from '../../src/runtime.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, REDIS_URL, startHarness } from '../support/harness.js';
import { BASIC, BOARD_PASSWORD, BOARD_TOKEN, BOARD_USER, startOps } from './support.js';

const SECRET = 'cs-good-4fQ8wL';
const PASSCODE = 'pc-good-2kD9';
const WRONG_SECRET = 'cs-wrong-7Yt3';
const PLAIN_SECRET = 'cs-plain-5Rm1';
const PLAIN_PASSCODE = 'pc-plain-8Vb6';

let h: Harness;
let ops: Awaited<ReturnType<typeof startOps>>;

beforeAll(async () => {
  h = await startHarness();
  h.provider.registerClient({ clientId: 'client-1', clientSecret: SECRET, lifetimeSeconds: 3600 });
  const base = providerConnector(h.provider.url);
  // A secret field whose name does not look secret: only the definition tells the board to hide it.
  await h.applyConnector({ ...base, fields: [...base.fields, { key: 'passcode', label: 'Passcode', type: 'secret' }] });
  ops = await startOps(h.runtime);
});
afterAll(async () => {
  await ops?.server.close();
  await h?.close();
});

const api = async (path: string) => {
  const response = await ops.request(`/admin/queues/api${path}`, { authorization: BASIC });
  expect(response.status).toBe(200);
  return response.text();
};

describe('board access', () => {
  const boardPaths = [
    '/admin/queues',
    '/admin/queues/',
    '/admin/queues/queue/connections',
    '/admin/queues/api/queues',
    '/admin/queues/api/redis/stats',
    '/admin/queues/static/favicon-32x32.png',
  ];

  it('when no credentials are sent, the page, its API and its assets answer 401 with a Basic challenge', async () => {
    for (const path of boardPaths) {
      const response = await ops.request(path);
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate'), path).toMatch(/^Basic realm=/);
    }
    expect((await ops.request('/admin/queues/api/queues/pause', { method: 'PUT' })).status).toBe(401);
  });

  it('when the credentials are wrong, it answers 401', async () => {
    const wrong = [
      `Basic ${Buffer.from(`${BOARD_USER}:nope`).toString('base64')}`,
      `Basic ${Buffer.from(`admin:${BOARD_PASSWORD}`).toString('base64')}`,
      `Basic ${Buffer.from(BOARD_PASSWORD).toString('base64')}`,
      'Bearer nope',
      `Bearer ${BOARD_PASSWORD}`,
      BOARD_TOKEN,
    ];
    for (const authorization of wrong) {
      expect((await ops.request('/admin/queues/api/queues', { authorization })).status, authorization).toBe(401);
    }
  });

  it('when Basic or bearer credentials are right, the page, its API and its assets are served', async () => {
    for (const authorization of [BASIC, `Bearer ${BOARD_TOKEN}`, `bearer ${BOARD_TOKEN}`]) {
      for (const path of boardPaths) {
        expect((await ops.request(path, { authorization })).status, `${authorization} ${path}`).toBe(200);
      }
    }
    const queues = JSON.parse(await api('/queues')) as { queues: Array<{ name: string; readOnlyMode: boolean }> };
    expect(queues.queues.map((q) => q.name)).toEqual(expect.arrayContaining(['connections', 'calls']));
    expect(queues.queues.every((q) => !q.readOnlyMode)).toBe(true);
  });

  it('health and metrics need no credentials', async () => {
    expect((await ops.request('/healthz')).status).toBe(200);
    expect((await ops.request('/metrics')).status).toBe(200);
  });
});

describe('secrets on the board', () => {
  it("when jobs ran, were rejected or wait with another producer's plaintext, the board API shows no secret", async () => {
    const { connectionId } = await h.client.connect({
      owner: 'ws-1',
      connector: 'acme',
      fields: { client_id: 'client-1', client_secret: SECRET, passcode: PASSCODE },
    });
    await expect(
      h.client.connect({
        owner: 'ws-2',
        connector: 'acme',
        fields: { client_id: 'client-1', client_secret: WRONG_SECRET },
      }),
    ).rejects.toThrow(/invalid_client/);
    // The test provider echoes the request headers, Authorization included: the return value holds the token.
    const call = await h.client.call({ owner: 'ws-1', connectionId, url: 'echo' });
    expect(JSON.stringify(call)).toMatch(/Bearer /);

    // Another producer's plaintext job, delayed: it keeps its clear values in Redis until a worker picks it up.
    const producer = createRedis(REDIS_URL, 'producer');
    const queue = new Queue('connections', { connection: producer, prefix: h.config.queuePrefix });
    const plain = await queue.add(
      'connect',
      {
        owner: 'ws-3',
        connector: 'acme',
        fields: { client_id: 'client-1', client_secret: PLAIN_SECRET, passcode: PLAIN_PASSCODE },
      },
      { delay: 600_000 },
    );
    expect((await queue.getJob(plain.id as string))?.data.fields.passcode).toBe(PLAIN_PASSCODE);
    await queue.close();
    await producer.quit();

    const pages: string[] = [];
    for (const [queueName, statuses] of [
      ['connections', ['completed', 'failed', 'delayed', 'latest']],
      ['calls', ['completed', 'latest']],
    ] as const) {
      for (const status of statuses)
        pages.push(await api(`/queues?activeQueue=${queueName}&status=${status}&jobsPerPage=50`));
    }
    pages.push(await api(`/queues/connections/${plain.id}`));
    const everything = pages.join('\n');

    const secrets = [SECRET, PASSCODE, WRONG_SECRET, PLAIN_SECRET, PLAIN_PASSCODE, ...h.provider.issuedTokens()];
    expect(h.provider.issuedTokens().length).toBeGreaterThan(0);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/sealed:v|transport:v|Bearer /);

    // What is shown instead: masks, and the non-secret values in clear.
    const delayed = JSON.parse(pages[2] ?? '') as { queues: Array<{ name: string; jobs: Array<{ data: unknown }> }> };
    const delayedJobs = delayed.queues.find((q) => q.name === 'connections')?.jobs ?? [];
    expect(delayedJobs.map((job) => job.data)).toContainEqual({
      owner: 'ws-3',
      connector: 'acme',
      fields: { client_id: 'client-1', client_secret: '[redacted]', passcode: '[redacted]' },
    });
    expect(pages[0]).toContain('"passcode":"[sealed]"');
    expect(pages[1]).toContain('[invalid_client]');
    expect(pages[4]).toContain('"authorization":"[redacted]"');
  });
});

describe('read-only board', () => {
  it('when BOARD_READ_ONLY is true, the queues are read-only and changes are refused', async () => {
    const config = loadConfig({ ...h.env, BOARD_READ_ONLY: 'true' });
    const runtime = await createRuntime(config, createLogger({ level: 'silent' }));
    const readOnly = await startOps(runtime);
    try {
      const response = await readOnly.request('/admin/queues/api/queues', { authorization: BASIC });
      const { queues } = (await response.json()) as { queues: Array<{ readOnlyMode: boolean }> };
      expect(queues.length).toBeGreaterThanOrEqual(2);
      expect(queues.every((q) => q.readOnlyMode)).toBe(true);
      const pause = await readOnly.request('/admin/queues/api/queues/connections/pause', {
        method: 'PUT',
        authorization: BASIC,
      });
      expect(pause.status).toBe(405);
      expect(await h.runtime.queues.connections.isPaused()).toBe(false);
    } finally {
      await readOnly.server.close();
      await runtime.close();
    }
  });
});
