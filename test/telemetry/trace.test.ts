/**
 * One trace from the producer to the provider and back, over real Redis, PostgreSQL and the local test provider,
 * with the SDK's in-memory exporter in place of OTLP.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { tracingSettings } from '../../src/telemetry/settings.js';
import { type RunningTracing, startTracing } from '../../src/telemetry/start.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { findLeaks } from '../support/secret-scan.js';
import { exportedText, idOf, isClientRequest, only, parentOf, traceOf, waitForSpan } from './support.js';

const SECRET = 'trace-client-secret-9f2c';
const exporter = new InMemorySpanExporter();
let tracing: RunningTracing | null;
let h: Harness;
let webhook: Server;
const webhookHeaders: IncomingHttpHeaders[] = [];
let connectionId: string;

beforeAll(async () => {
  // The webhook receiver first: the harness's config needs its URL.
  webhook = createServer((req, res) => {
    webhookHeaders.push(req.headers);
    req.resume().on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hooks`;
  // Switched on the way an operator does it, by an OTLP endpoint; the spans go to memory instead.
  const settings = tracingSettings(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:7450' }));
  tracing = await startTracing(settings, { spanProcessor: new SimpleSpanProcessor(exporter) });
  h = await startHarness({ env: { WEBHOOK_URL: webhookUrl, WEBHOOK_SECRET: 'whsec-trace' } });
  await h.applyConnector(providerConnector(h.provider.url));
  h.provider.registerClient({ clientId: 'tracer', clientSecret: SECRET });
  ({ connectionId } = await h.client.connect({
    owner: 'ws-trace',
    connector: 'acme',
    fields: { client_id: 'tracer', client_secret: SECRET },
  }));
});
afterAll(async () => {
  await h?.close();
  await tracing?.shutdown();
  await new Promise((resolve) => webhook?.close(resolve));
});
beforeEach(() => exporter.reset());

/** Runs `fn` inside a span of the test, standing for the producer's own work. */
function asProducer<T>(fn: () => Promise<T>): Promise<{ result: T; producer: ReadableSpan }> {
  return trace.getTracer('producer-app').startActiveSpan('checkout', async (span) => {
    try {
      const result = await fn();
      return { result, producer: span as unknown as ReadableSpan };
    } finally {
      span.end();
    }
  });
}

const inTrace = (traceId: string) => exporter.getFinishedSpans().filter((span) => traceOf(span) === traceId);

describe('a call job traced end to end', () => {
  it("continues the producer's trace through the job, its renewal's token request and the API requests", async () => {
    // The provider forgets the token: the call's first API request gets 401, the call renews and sends again.
    h.provider.revokeAllTokensOf('tracer');
    const { result, producer } = await asProducer(() =>
      h.client.call({ owner: 'ws-trace', connectionId, url: '/api/echo/orders' }),
    );
    expect(result.status).toBe(200);
    const traceId = traceOf(producer);
    const processSpan = await waitForSpan(exporter, (s) => s.name === 'process calls', 'process calls');

    const spans = inTrace(traceId);
    const add = only(spans, (s) => s.kind === SpanKind.PRODUCER && s.name.startsWith('add calls'), 'the add');
    expect(parentOf(add)).toBe(idOf(producer));
    expect(parentOf(processSpan)).toBe(idOf(add));
    const job = only(spans, (s) => s.name === 'call', 'the call job');
    expect(parentOf(job)).toBe(idOf(processSpan));
    expect(job.attributes).toMatchObject({
      'messaging.system': 'bullmq',
      'messaging.destination.name': 'calls',
      'oauth_cc.job.name': 'call',
      'oauth_cc.owner': 'ws-trace',
      'oauth_cc.connection.id': connectionId,
      'oauth_cc.connector': 'acme',
      'oauth_cc.job.attempt': 1,
      'oauth_cc.job.outcome': 'completed',
    });

    const renew = only(spans, (s) => s.name === 'connection.renew', 'the renewal');
    const tokenRequest = only(spans, (s) => s.name === 'oauth.token', 'the token request');
    expect(parentOf(tokenRequest)).toBe(idOf(renew));
    expect(tokenRequest.attributes['oauth_cc.grant_type']).toBe('client_credentials');
    const tokenPost = only(spans, isClientRequest('POST', `${h.provider.url}/oauth/token`), 'the token POST');
    expect(parentOf(tokenPost)).toBe(idOf(tokenRequest));
    expect(tokenPost.attributes['http.response.status_code']).toBe(200);

    const apiUrl = `${h.provider.url}/api/echo/orders`;
    const apiRequests = spans.filter(isClientRequest('GET', apiUrl));
    expect(apiRequests.map((s) => s.attributes['http.response.status_code'])).toEqual([401, 200]);
    for (const request of apiRequests) expect(parentOf(request)).toBe(idOf(job));
    const [rejected, answered] = apiRequests as [ReadableSpan, ReadableSpan];
    expect(rejected.status.code).toBe(SpanStatusCode.ERROR);
    // The query string (where a connector may put a key) is never part of the URL shown.
    expect(String(answered.attributes['url.full'])).not.toContain('?');

    // The test API saw the answered request's own span as its parent.
    const echoed = result.body as { headers: Record<string, string> };
    expect(echoed.headers.traceparent).toBe(`00-${traceId}-${idOf(answered)}-01`);
  });

  it('marks a failed job with its error code and outcome', async () => {
    await expect(
      h.client.call({ owner: 'ws-trace', connectionId, url: 'https://elsewhere.example/api/x' }),
    ).rejects.toThrow(/url_not_allowed/);
    const job = await waitForSpan(exporter, (s) => s.name === 'call', 'call');
    expect(job.status.code).toBe(SpanStatusCode.ERROR);
    expect(job.attributes).toMatchObject({
      'error.type': 'url_not_allowed',
      'oauth_cc.error.kind': 'invalid_input',
      'oauth_cc.job.outcome': 'failed',
    });
    expect(job.status.message).toMatch(/^\[url_not_allowed\] /);
  });

  it('marks each retried attempt, and the log lines written in a job carry its trace and span ids', async () => {
    h.provider.quirk({ apiStatus: 503 });
    try {
      // JOB_ATTEMPTS is 3: two attempts are retried, the last one returns the 503 to the caller.
      const result = await h.client.call({ owner: 'ws-trace', connectionId, url: '/api/items' });
      expect(result.status).toBe(503);
    } finally {
      h.provider.reset();
    }
    await waitForSpan(exporter, (s) => s.name === 'call' && s.attributes['oauth_cc.job.attempt'] === 3, 'attempt 3');
    const attempts = exporter
      .getFinishedSpans()
      .filter((s) => s.name === 'call')
      .sort((a, b) => Number(a.attributes['oauth_cc.job.attempt']) - Number(b.attributes['oauth_cc.job.attempt']));
    expect(attempts.map((s) => [s.attributes['oauth_cc.job.outcome'], s.attributes['error.type']])).toEqual([
      ['retry', 'upstream_unavailable'],
      ['retry', 'upstream_unavailable'],
      ['completed', undefined],
    ]);
    const first = attempts[0] as ReadableSpan;
    const retryLine = h.logs
      .flatMap((chunk) => chunk.split('\n'))
      .find((line) => line.includes('"retrying: ') && line.includes(`"span_id":"${idOf(first)}"`));
    expect(retryLine, 'the retry log line of the first attempt').toBeDefined();
    expect(JSON.parse(retryLine as string).trace_id).toBe(traceOf(first));
  });
});

describe('spans of the other work', () => {
  it('traces a connection test with its test request, and a cache hit without a store read', async () => {
    const outcome = await h.client.test({ owner: 'ws-trace', connectionId });
    expect(outcome.ok).toBe(true);
    const job = await waitForSpan(exporter, (s) => s.name === 'test', 'test');
    const spans = inTrace(traceOf(job));
    const testRequest = only(spans, (s) => s.name === 'connection.test_request', 'the test request');
    only(spans, isClientRequest('GET', `${h.provider.url}/me`), 'the GET /me');
    expect(testRequest.attributes).toEqual({});
    const load = only(spans, (s) => s.name === 'connection.load', 'the load');
    expect(load.attributes).toMatchObject({ 'oauth_cc.connection.id': connectionId, 'oauth_cc.cache.hit': true });
    expect(spans.filter((s) => s.name === 'store.get' && parentOf(s) === idOf(load))).toEqual([]);
  });

  it('traces an event publication through to its webhook delivery, which sees the traceparent', async () => {
    webhookHeaders.length = 0;
    await h.client.refresh({ owner: 'ws-trace', connectionId, force: true });
    const delivery = await waitForSpan(
      exporter,
      (s) => s.name === 'webhook.deliver' && s.attributes['oauth_cc.event.type'] === 'connection.renewed',
      'webhook.deliver',
    );
    // The publication ends after the outbox write that follows the add: it may end after the delivery.
    const publish = await waitForSpan(
      exporter,
      (s) => s.name === 'events.publish' && traceOf(s) === traceOf(delivery),
      'events.publish',
    );
    const spans = inTrace(traceOf(delivery));
    const add = only(spans, (s) => s.name === 'addBulk connection-events', 'the add');
    expect(parentOf(add)).toBe(idOf(publish));
    expect(publish.attributes['oauth_cc.event.count']).toBeGreaterThanOrEqual(1);
    const post = only(spans, (s) => parentOf(s) === idOf(delivery) && s.kind === SpanKind.CLIENT, 'the POST');
    expect(post.attributes['http.response.status_code']).toBe(204);
    const seen = webhookHeaders.find((headers) => headers['x-oauth-cc-event'] === 'connection.renewed');
    expect(seen?.traceparent).toBe(`00-${traceOf(delivery)}-${idOf(post)}-01`);
  });

  it('traces a revoke with one revocation request per token', async () => {
    const { connectionId: id } = await h.client.connect({
      owner: 'ws-trace',
      connector: 'acme',
      fields: { client_id: 'tracer', client_secret: SECRET },
      name: 'to revoke',
    });
    exporter.reset();
    await h.client.revoke({ owner: 'ws-trace', connectionId: id });
    const job = await waitForSpan(exporter, (s) => s.name === 'revoke', 'revoke');
    const revocations = inTrace(traceOf(job)).filter((s) => s.name === 'oauth.revoke');
    expect(revocations.map((s) => s.attributes['oauth_cc.token_type_hint'])).toContain('access_token');
  });
});

describe('what the spans hold', () => {
  it('holds no secret, token or sealed value in any attribute, event or status', async () => {
    // Every kind of job once, the call's answer echoing the bearer token back.
    const { connectionId: id } = await h.client.connect({
      owner: 'ws-trace',
      connector: 'acme',
      fields: { client_id: 'tracer', client_secret: SECRET },
    });
    await h.client.call({ owner: 'ws-trace', connectionId: id, url: '/api/echo', method: 'POST', body: { a: 1 } });
    await h.client.test({ owner: 'ws-trace', connectionId: id });
    await h.client.refresh({ owner: 'ws-trace', connectionId: id, force: true });
    await h.client.revoke({ owner: 'ws-trace', connectionId: id });
    await waitForSpan(
      exporter,
      (s) => s.name === 'process connections' && s.attributes['bullmq.job.name'] === 'revoke',
      'revoke processed',
    );

    const text = exportedText(exporter.getFinishedSpans());
    expect(text).toContain('oauth.token');
    expect(findLeaks({ spans: text }, [SECRET, 'whsec-trace', ...h.provider.issuedTokens()])).toEqual([]);
    expect(text).not.toMatch(/sealed:v\d/);
    // A job's return value is the provider's data: BullMQ would record it, the filter leaves it out.
    expect(text).not.toContain('bullmq.job.result');
  });
});
