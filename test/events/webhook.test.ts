import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { ConnectionEvent } from '../../src/domain/model.js';
import { SIGNATURE_HEADER, signWebhook, verifyWebhook } from '../../src/events/webhook.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { expectNoSecret } from './support.js';

const WEBHOOK_SECRET = 'whsec-test-9f8e7d';
const CLIENT_SECRET = 'client-s3cret-for-webhooks';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** The receiver: answers 500 to the first two deliveries of an event of `ws-flaky`, always 500 for `ws-down`. */
const deliveries: Delivery[] = [];
let receiver: Server;
let h: Harness;

function answerFor(event: ConnectionEvent): number {
  if (event.owner === 'ws-down') return 500;
  const earlier = deliveries.filter((delivery) => JSON.parse(delivery.body).id === event.id).length;
  return event.owner === 'ws-flaky' && earlier < 2 ? 500 : 200;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answered = answerFor(JSON.parse(body));
      deliveries.push({ headers: req.headers, body, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  h = await startHarness({
    env: {
      WEBHOOK_URL: `http://127.0.0.1:${port}/hooks/oauth`,
      WEBHOOK_SECRET,
      WEBHOOK_RETRY_SECONDS: '2',
    },
  });
  await h.applyConnector(providerConnector(h.provider.url));
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function connect(owner: string) {
  const clientId = `${owner}-client`;
  h.provider.registerClient({
    clientId,
    clientSecret: CLIENT_SECRET,
    account: { account_id: clientId, name: 'Ada', email: 'ada@example.com' },
  });
  return h.client.connect({ owner, connector: 'acme', fields: { client_id: clientId, client_secret: CLIENT_SECRET } });
}

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const deliveriesOf = (connectionId: string) =>
  deliveries.filter((delivery) => JSON.parse(delivery.body).connectionId === connectionId);

describe('webhooks', () => {
  it('when the receiver fails twice, the event is delivered a third time, signed each time, with the same id', async () => {
    const { connectionId } = await connect('ws-flaky');
    const seen = await until(
      () => deliveriesOf(connectionId),
      (list) => list.some((delivery) => delivery.answered === 200),
    );
    expect(seen.map((delivery) => delivery.answered)).toEqual([500, 500, 200]);
    for (const delivery of seen) {
      const signature = String(delivery.headers[SIGNATURE_HEADER]);
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhook(WEBHOOK_SECRET, delivery.body, signature)).toBe(true);
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers['x-oauth-cc-event']).toBe('connection.created');
    }
    const bodies = new Set(seen.map((delivery) => delivery.body));
    expect(bodies.size).toBe(1);
    const event = JSON.parse(seen[0]?.body ?? '{}') as ConnectionEvent;
    expect(event).toMatchObject({ type: 'connection.created', owner: 'ws-flaky', connectionId, status: 'active' });
    expect(seen[0]?.headers['x-oauth-cc-event-id']).toBe(event.id);
    const job = await until(
      () => h.runtime.queues.events.getJob(event.id),
      (found) => found?.finishedOn !== undefined,
    );
    expect(await job?.getState()).toBe('completed');
  });

  it('when the receiver keeps failing past WEBHOOK_RETRY_SECONDS, the delivery gives up and the job fails', async () => {
    const { connectionId } = await connect('ws-down');
    const [first] = await until(
      () => deliveriesOf(connectionId),
      (list) => list.length > 0,
    );
    const eventId = JSON.parse(first?.body ?? '{}').id as string;
    const job = await until(
      () => h.runtime.queues.events.getJob(eventId),
      (found) => found?.finishedOn !== undefined,
      10_000,
    );
    expect(await job?.getState()).toBe('failed');
    expect(job?.failedReason).toMatch(
      /^\[webhook_refused\] webhook receiver answered 500 \(gave up after \d+ attempts\)$/,
    );
    expect(deliveriesOf(connectionId).length).toBeGreaterThan(1);
  });

  it('a signature does not verify with another secret, another body, or an old timestamp', () => {
    const body = '{"id":"x"}';
    const now = Date.now();
    const header = signWebhook(WEBHOOK_SECRET, body, Math.floor(now / 1000));
    expect(verifyWebhook(WEBHOOK_SECRET, body, header, 300, now)).toBe(true);
    expect(verifyWebhook('other', body, header, 300, now)).toBe(false);
    expect(verifyWebhook(WEBHOOK_SECRET, '{"id":"y"}', header, 300, now)).toBe(false);
    expect(verifyWebhook(WEBHOOK_SECRET, body, header, 300, now + 301_000)).toBe(false);
    expect(verifyWebhook(WEBHOOK_SECRET, body, 'garbage', 300, now)).toBe(false);
  });

  it('the receiver never saw a secret, a token or the webhook secret', () => {
    expect(deliveries.length).toBeGreaterThan(3);
    expectNoSecret(JSON.stringify(deliveries), [CLIENT_SECRET, WEBHOOK_SECRET, ...h.provider.issuedTokens()]);
  });

  it('a webhook URL follows the connector URL rule: https:, or http: only to a loopback host', () => {
    expect(loadConfig({ WEBHOOK_URL: 'https://hooks.example.com/x' }).webhookUrl).toBe('https://hooks.example.com/x');
    expect(loadConfig({ WEBHOOK_URL: 'http://[::1]:8080/x' }).webhookUrl).toBe('http://[::1]:8080/x');
    expect(() => loadConfig({ WEBHOOK_URL: 'http://hooks.example.com/x' })).toThrow(
      /WEBHOOK_URL: must be an http:\/\/ or https:\/\/ URL; use https:/,
    );
  });
});
