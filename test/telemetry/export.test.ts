/** The real OTLP/HTTP exporters, in both encodings, against a local receiver; and the sampler settings. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TracingSettings } from '../../src/telemetry/settings.js';
import { startTracing } from '../../src/telemetry/start.js';
import { inSpan, tracingOn } from '../../src/telemetry/tracing.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let receiver: Server;
let baseUrl: string;
const received: Received[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': String(req.headers['content-type']) }).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
});

const settings = (overrides: Partial<TracingSettings>): TracingSettings => ({
  url: `${baseUrl}/v1/traces`,
  protocol: 'http/protobuf',
  serviceName: 'oauth-cc-export-test',
  sampler: 'parentbased_always_on',
  samplerRatio: 1,
  ...overrides,
});

/** Starts tracing, makes one span, and stops (which flushes the batch); returns what the receiver got meanwhile. */
async function exportOneSpan(overrides: Partial<TracingSettings>): Promise<Received[]> {
  received.length = 0;
  const tracing = await startTracing(settings(overrides));
  expect(tracingOn()).toBe(true);
  await inSpan('probe.span', { 'oauth_cc.connection.id': 'conn-export' }, async () => {});
  await tracing?.shutdown();
  expect(tracingOn()).toBe(false);
  return [...received];
}

describe('OTLP over HTTP', () => {
  it('sends spans as JSON with http/json', async () => {
    const [request, ...more] = await exportOneSpan({ protocol: 'http/json' });
    expect(more).toEqual([]);
    expect(request?.path).toBe('/v1/traces');
    expect(request?.headers['content-type']).toBe('application/json');
    const body = JSON.parse(String(request?.body));
    const resource = body.resourceSpans[0].resource.attributes;
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'oauth-cc-export-test' } });
    expect(body.resourceSpans[0].scopeSpans[0].spans[0].name).toBe('probe.span');
  });

  it('sends spans as protobuf with http/protobuf', async () => {
    const [request] = await exportOneSpan({ protocol: 'http/protobuf', url: `${baseUrl}/custom/traces` });
    expect(request?.path).toBe('/custom/traces');
    expect(request?.headers['content-type']).toBe('application/x-protobuf');
    expect(request?.body.includes('probe.span')).toBe(true);
    expect(request?.body.includes('oauth-cc-export-test')).toBe(true);
  });

  it('records no trace when the ratio sampler is at 0', async () => {
    expect(await exportOneSpan({ sampler: 'parentbased_traceidratio', samplerRatio: 0 })).toEqual([]);
  });
});
