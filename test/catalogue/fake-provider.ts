/**
 * One local fake for every catalogue entry, driven by the table of documented exchanges (`exchanges.ts`): it answers
 * what the provider's documentation shows and records, for each request, every way it differs from what the
 * documentation says the client must send. A request that differs is answered 400, like a strict provider would.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import type { DocumentedExchange } from './exchanges.js';
import { localAnswer, realUrl } from './local-hosts.js';

export interface FakeProvider {
  origin: string;
  /** The entry whose exchanges are expected next; its token is what the test API accepts. */
  expect(entry: DocumentedExchange): void;
  /** Every difference between what was received and what the documentation describes. */
  mismatches: string[];
  received: string[];
  close(): Promise<void>;
}

const ISSUED_TOKEN = 'fake-issued-access-token-0123456789';

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseParams(type: string, body: string): Record<string, unknown> {
  if (type.startsWith('application/json')) return JSON.parse(body || '{}') as Record<string, unknown>;
  return Object.fromEntries(new URLSearchParams(body));
}

function sameRecord(what: string, actual: Record<string, unknown>, expected: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  return [...keys]
    .filter((key) => JSON.stringify(actual[key]) !== JSON.stringify(expected[key]))
    .map((key) => `${what} ${key}: sent ${JSON.stringify(actual[key])}, documented ${JSON.stringify(expected[key])}`);
}

function checkClientAuth(entry: DocumentedExchange, req: IncomingMessage, params: Record<string, unknown>): string[] {
  const { token, fields } = entry;
  const authorization = req.headers.authorization;
  const problems: string[] = [];
  const expected = { ...token.params };
  if (token.auth === 'basic') {
    const basic = `Basic ${Buffer.from(`${fields.client_id}:${fields.client_secret}`).toString('base64')}`;
    if (authorization !== basic) problems.push(`authorization: sent ${authorization ?? 'none'}, documented HTTP Basic`);
  } else {
    if (authorization !== undefined) problems.push('authorization: sent a header, documented none');
    expected.client_id = fields.client_id;
    if (token.auth === 'body') expected.client_secret = fields.client_secret;
  }
  if (token.auth === 'private_key_jwt') {
    expected.client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    const assertion = String(params.client_assertion ?? '');
    const claims = decodeJwt(assertion);
    if (claims.iss !== fields.client_id || claims.sub !== fields.client_id)
      problems.push('assertion: iss/sub must be the client id');
    if (claims.aud !== token.url) problems.push(`assertion aud: sent ${String(claims.aud)}, documented ${token.url}`);
    expected.client_assertion = assertion;
  }
  return [...problems, ...sameRecord('parameter', params, expected)];
}

function checkHeaders(req: IncomingMessage, expected: Record<string, string>): string[] {
  return Object.entries(expected)
    .filter(([name, value]) => req.headers[name.toLowerCase()] !== value)
    .map(([name, value]) => `header ${name}: sent ${String(req.headers[name.toLowerCase()])}, documented ${value}`);
}

export async function startFakeProvider(): Promise<FakeProvider> {
  let entry: DocumentedExchange | undefined;
  const fake: FakeProvider = {
    origin: '',
    mismatches: [],
    received: [],
    expect(next) {
      entry = next;
      fake.mismatches.length = 0;
      fake.received.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const url = realUrl(req.url ?? '/');
      fake.received.push(`${req.method} ${url}`);
      const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(localAnswer(json, fake.origin)));
      };
      const problems: string[] = [];
      if (!entry) return answer(500, { error: 'no exchange expected' });
      const { token, test } = entry;
      if (url === token.url) {
        const type = req.headers['content-type'] ?? '';
        if (req.method !== 'POST') problems.push(`token method: sent ${req.method}, documented POST`);
        const format = token.format === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
        if (!type.startsWith(format)) problems.push(`content-type: sent ${type}, documented ${format}`);
        problems.push(
          ...checkClientAuth(entry, req, parseParams(type, body)),
          ...checkHeaders(req, token.headers ?? {}),
        );
        fake.mismatches.push(...problems.map((problem) => `token ${problem}`));
        if (problems.length > 0) return answer(400, { error: 'invalid_request' });
        return answer(token.status ?? 200, { ...token.answer, access_token: ISSUED_TOKEN });
      }
      if (test && url === test.url) {
        if (req.method !== (test.method ?? 'GET')) problems.push(`test method: sent ${req.method}`);
        problems.push(...checkHeaders(req, { authorization: `Bearer ${ISSUED_TOKEN}`, ...test.headers }));
        fake.mismatches.push(...problems.map((problem) => `test ${problem}`));
        if (problems.length > 0) return answer(401, { error: 'invalid_token' });
        return answer(200, test.answer, test.answerHeaders);
      }
      fake.mismatches.push(`unexpected ${req.method} ${url}`);
      answer(404, { error: 'not_found' });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  fake.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
