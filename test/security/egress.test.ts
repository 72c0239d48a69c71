/**
 * The egress policy against the real worker process (started as `npm run worker` starts it), real Redis and
 * PostgreSQL: definitions that point at a non-public address in every spelling, a name resolving to loopback, a
 * redirect from an allowed host to a non-public address, and a webhook to one. With the address's network not
 * allowed, each is refused with `egress_denied` and the upstream records no request; with the network listed in
 * EGRESS_ALLOWED_NETWORKS the very same requests go through.
 *
 * Only this machine's addresses are used (127.0.0.0/8 is all loopback): the "allowed" provider listens on 127.0.0.2
 * and the "internal" one, standing for any non-public address, on 127.0.0.1. Phase one allows 127.0.0.2/32 only.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { startProvider, type TestProvider } from '../support/provider.js';

const SECRET = 'egress-client-s3cret';
const METRICS_PORT = '7501';
/** Spellings of the internal provider's host (127.0.0.1), each in its own connector. */
const FORMS: Array<[string, string]> = [
  ['a literal address', '127.0.0.1'],
  ['a decimal IPv4 form', '2130706433'],
  ['an octal IPv4 form', '0177.0.0.1'],
  ['a hexadecimal IPv4 form', '0x7f000001'],
  ['an IPv4-mapped IPv6 form', '[::ffff:127.0.0.1]'],
  ['a name resolving to loopback', 'localhost'],
];

let h: Harness;
/** Reachable in both phases: 127.0.0.2. */
let gateway: TestProvider;
let receiver: Server;
let webhookDeliveries = 0;
let internalPort: string;
let gatewayConnection: string;
/** Made on the internal provider while it was allowed. */
let internalConnection = '';

beforeAll(async () => {
  receiver = createServer((req, res) => {
    webhookDeliveries++;
    req.resume().on('end', () => res.writeHead(200).end());
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const receiverPort = (receiver.address() as AddressInfo).port;
  h = await startHarness({
    inProcessWorker: false,
    env: {
      JOB_ATTEMPTS: '2',
      JOB_BACKOFF_MS: '10',
      WEBHOOK_URL: `http://127.0.0.1:${receiverPort}/hooks`,
      WEBHOOK_SECRET: 'whsec-egress',
      WEBHOOK_RETRY_SECONDS: '5',
    },
  });
  internalPort = new URL(h.provider.url).port;
  gateway = await startProvider({ host: '127.0.0.2' });
  for (const provider of [h.provider, gateway]) {
    provider.registerClient({ clientId: 'egress-client', clientSecret: SECRET });
  }
  // Reached only by redirects from the gateway, which carry no credentials to another origin.
  h.provider.quirk({ apiOpen: true });
  for (const [index, [, host]] of FORMS.entries()) {
    await h.applyConnector(providerConnector(`http://${host}:${internalPort}`, { key: `form-${index}` }));
  }
  await h.applyConnector(
    providerConnector(gateway.url, { key: 'gateway', allowedUrls: [`${gateway.url}/api/`, `${h.provider.url}/api/`] }),
  );
}, 60_000);
afterAll(async () => {
  await h?.close();
  await gateway?.close();
  receiver?.close();
});

/** Runs `work` against a worker process allowing `networks`, stopped afterwards. */
async function withWorker(networks: string, work: () => Promise<void>): Promise<void> {
  const child: ChildProcess = await h.spawnWorker({ EGRESS_ALLOWED_NETWORKS: networks, METRICS_PORT });
  try {
    await work();
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

const fields = { client_id: 'egress-client', client_secret: SECRET };
const connectForm = (index: number) => h.client.connect({ owner: `form-${index}`, connector: `form-${index}`, fields });
const redirectToInternal = () =>
  h.client.call({
    owner: 'gateway',
    connectionId: gatewayConnection,
    url: `redirect?to=${encodeURIComponent(`${h.provider.url}/api/echo`)}`,
  });
const failure = (work: Promise<unknown>) =>
  work.then(
    () => 'completed',
    (error: Error) => error.message,
  );
const internalRequests = () =>
  h.provider.stats.tokenRequests + h.provider.stats.testRequests + h.provider.stats.apiRequests;

async function until(done: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('egress to an address that is not public', () => {
  it('is refused with egress_denied in every form, nothing reaching the upstream; allowed once its network is listed', async () => {
    await withWorker('127.0.0.2/32', async () => {
      for (const [index, [form, host]] of FORMS.entries()) {
        const reason = await failure(connectForm(index));
        expect(reason, form).toMatch(/^\[egress_denied\] POST http:\/\/[^ ]+\/oauth\/token: /);
        expect(reason, form).toMatch(/, not a public address: refused to connect\. .*EGRESS_ALLOWED_NETWORKS/);
        if (host === 'localhost') expect(reason).toMatch(/localhost resolves to (127\.0\.0\.1|::1), which is loopback/);
        else expect(reason, form).toMatch(/(127\.0\.0\.1 is loopback|::ffff:7f00:1 is loopback \(IPv4-mapped)/);
      }

      // The gateway is allowed; its redirect to the internal provider is a new connection, refused as such.
      ({ connectionId: gatewayConnection } = await h.client.connect({
        owner: 'gateway',
        connector: 'gateway',
        fields,
      }));
      const redirected = await failure(redirectToInternal());
      expect(redirected).toMatch(
        /^\[egress_denied\] GET http:\/\/127\.0\.0\.1:\d+\/api\/echo: 127\.0\.0\.1 is loopback/,
      );

      // The gateway's connection events are for the webhook, whose receiver is on the internal address.
      const events = h.runtime.queues.events;
      await until(async () => (await events.getFailed()).length > 0);
      const [webhook] = await events.getFailed();
      expect(webhook?.failedReason).toMatch(/^\[egress_denied\] POST http:\/\/127\.0\.0\.1:\d+\/hooks: /);
      expect(webhook?.attemptsMade).toBe(1);

      expect(internalRequests()).toBe(0);
      expect(webhookDeliveries).toBe(0);
      const metrics = await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
      const refused = Number(/^oauth_cc_egress_denied_total\{class="loopback"\} (\d+)$/m.exec(metrics)?.[1]);
      expect(refused).toBeGreaterThanOrEqual(FORMS.length + 2);
    });

    await withWorker('127.0.0.0/8,::1/128', async () => {
      for (const [index, [form]] of FORMS.entries()) {
        expect(await failure(connectForm(index)), form).toBe('completed');
      }
      ({ connectionId: internalConnection } = await connectForm(0));
      expect((await redirectToInternal()).status).toBe(200);
      expect(h.provider.stats.apiRequests).toBeGreaterThanOrEqual(1);
      expect(h.provider.stats.tokenRequests).toBeGreaterThanOrEqual(FORMS.length);
      await until(() => webhookDeliveries > 0);
      expect(webhookDeliveries).toBeGreaterThan(0);
    });
  }, 120_000);

  it('is refused for every other job of a connection made while it was allowed: call, refresh, test, revoke', async () => {
    const owner = 'form-0';
    const connectionId = internalConnection;
    expect(connectionId).toBeTruthy();
    const before = internalRequests();
    await withWorker('127.0.0.2/32', async () => {
      expect(await failure(h.client.call({ owner, connectionId, url: 'echo' }))).toMatch(
        /^\[egress_denied\] GET http:\/\/127\.0\.0\.1:\d+\/api\/echo: 127\.0\.0\.1 is loopback/,
      );
      expect(await failure(h.client.refresh({ owner, connectionId, force: true }))).toMatch(
        /^\[egress_denied\] POST http:\/\/127\.0\.0\.1:\d+\/oauth\/token: 127\.0\.0\.1 is loopback/,
      );
      const tested = await h.client.test({ owner, connectionId });
      expect(tested).toMatchObject({
        ok: false,
        error: expect.stringMatching(/127\.0\.0\.1 is loopback.*EGRESS_ALLOWED/),
      });
      // Revoking wipes the tokens here whatever the provider says; it reports that the provider was not reached.
      const revoked = await h.client.revoke({ owner, connectionId });
      expect(revoked).toMatchObject({ status: 'revoked', providerRevoked: false });
      expect(revoked.reason).toMatch(/127\.0\.0\.1 is loopback/);
    });
    expect(internalRequests()).toBe(before);
  }, 120_000);
});
