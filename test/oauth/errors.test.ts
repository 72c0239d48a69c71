import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTransport } from '../../src/http/send.js';
import { classifyTokenEndpointFailure, excerpt } from '../../src/oauth/classify.js';
import { requestToken } from '../../src/oauth/client.js';
import { startProvider, type TestProvider } from '../support/provider.js';
import { rejectionOf, specFor } from './helpers.js';

const transport = createTransport();
const send = transport.send;
let provider: TestProvider;
const SECRET = 'Sup3r-S3cret-Value-0123456789';

beforeAll(async () => {
  provider = await startProvider();
  provider.registerClient({ clientId: 'client-1', clientSecret: SECRET });
});
beforeEach(() => provider.reset());
afterAll(async () => {
  await provider.close();
  await transport.close();
});

const spec = () => specFor(provider, { credentials: { clientId: 'client-1', clientSecret: SECRET }, timeoutMs: 1000 });
const answer = (
  status: number,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) => ({
  status,
  headers,
  body: Buffer.from(body),
});

describe('permanent failures from the provider', () => {
  it.each([
    'invalid_client',
    'unauthorized_client',
    'unsupported_grant_type',
    'invalid_scope',
    'invalid_request',
    'invalid_grant',
    'invalid_target',
  ])('when the provider answers %s, it fails permanently with that code and a readable message', async (code) => {
    provider.quirk({ tokenError: code });
    const error = await rejectionOf(requestToken(spec(), send));
    expect(error).toMatchObject({
      name: 'AppError',
      kind: 'permanent',
      code,
      status: code === 'invalid_client' ? 401 : 400,
    });
    expect(error.message).toBe(`token endpoint answered ${error.status} ${code}: the provider says ${code}`);
  });

  it('when the secret is wrong, the message never contains the secret sent', async () => {
    const wrong = specFor(provider, { credentials: { clientId: 'client-1', clientSecret: 'wrong-secret-value' } });
    const error = await rejectionOf(requestToken(wrong, send));
    expect(error).toMatchObject({ kind: 'permanent', code: 'invalid_client' });
    expect(error.message).not.toContain('wrong-secret-value');
  });

  it.each([400, 401, 403, 404, 410, 422])('a plain %i is permanent', (status) => {
    expect(classifyTokenEndpointFailure(answer(status, '{}'))).toMatchObject({ kind: 'permanent', status });
  });
});

describe('transient failures', () => {
  it.each([408, 409, 423, 425, 429, 500, 502, 503, 504])('a plain %i is transient', (status) => {
    expect(classifyTokenEndpointFailure(answer(status, ''))).toMatchObject({ kind: 'transient', status });
  });

  it('when rate limited with Retry-After seconds, retryAfterMs carries it', async () => {
    provider.quirk({ status429RetryAfter: 7 });
    await expect(requestToken(spec(), send)).rejects.toMatchObject({
      kind: 'transient',
      code: 'rate_limited',
      status: 429,
      retryAfterMs: 7000,
    });
  });

  it('when rate limited with Retry-After as an HTTP date, retryAfterMs is the time until then', async () => {
    provider.quirk({ status429RetryAfter: new Date(Date.now() + 30_000).toUTCString() });
    const error = await rejectionOf(requestToken(spec(), send));
    expect(error.retryAfterMs).toBeGreaterThan(25_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it.each([500, 502, 504] as const)('when the provider answers %i, it is transient', async (status) => {
    provider.quirk({ status5xx: status });
    await expect(requestToken(spec(), send)).rejects.toMatchObject({ kind: 'transient', code: 'server_error', status });
  });

  it('when the provider answers 503 for the next two requests, the third succeeds', async () => {
    provider.quirk({ failNextTokenRequests: 2 });
    await expect(requestToken(spec(), send)).rejects.toMatchObject({
      kind: 'transient',
      code: 'temporarily_unavailable',
    });
    await expect(requestToken(spec(), send)).rejects.toMatchObject({ kind: 'transient' });
    await expect(requestToken(spec(), send)).resolves.toMatchObject({ tokenType: 'Bearer' });
    expect(provider.stats.tokenRequests).toBe(3);
  });

  it('when a 5xx says invalid_client, the broken server still makes it transient', () => {
    expect(classifyTokenEndpointFailure(answer(500, '{"error":"invalid_client"}'))).toMatchObject({
      kind: 'transient',
      code: 'invalid_client',
    });
  });

  it('when the answer is too slow, it is a transient timeout naming the endpoint but not the query', async () => {
    provider.quirk({ delayMs: 1500 });
    const error = await rejectionOf(
      requestToken(specFor(provider, { url: `${provider.url}/oauth/token?key=hidden`, timeoutMs: 300 }), send),
    );
    expect(error).toMatchObject({ kind: 'transient', code: 'timeout' });
    expect(error.message).toBe(`POST ${provider.url}/oauth/token: no answer within 300 ms`);
  });

  it('when the provider resets the connection, it is a transient network error', async () => {
    provider.quirk({ resetConnection: true });
    await expect(requestToken(spec(), send)).rejects.toMatchObject({ kind: 'transient', code: 'network' });
  });
});

describe('unusual error bodies', () => {
  it('when the provider answers an HTML page, the message holds a short text excerpt without tags', async () => {
    provider.quirk({ htmlErrorPage: true });
    const error = await rejectionOf(requestToken(spec(), send));
    expect(error).toMatchObject({ kind: 'transient', status: 502 });
    expect(error.message).toBe(
      'token endpoint answered 502 server_error: 502 Bad Gateway The upstream server is unavailable.',
    );
  });

  it('when an error body is malformed JSON, it keeps a short excerpt', async () => {
    provider.quirk({ malformedJson: 400 });
    const error = await rejectionOf(requestToken(spec(), send));
    expect(error).toMatchObject({ kind: 'permanent', code: 'token_endpoint_error', status: 400 });
    expect(error.message).toContain('"error": "invalid_request"');
  });

  it('removes echoed secrets and token-like values from descriptions and truncates them', () => {
    const body = JSON.stringify({
      error: 'invalid_client',
      error_description: `bad secret ${SECRET} for token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc access_token=abcdef ${'x'.repeat(300)}`,
    });
    const error = classifyTokenEndpointFailure(answer(401, body), [SECRET]);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain('eyJ');
    expect(error.message).not.toContain('abcdef');
    expect(error.message.length).toBeLessThan(260);
  });

  it('excerpt keeps plain text, strips control characters and redacts opaque tokens', () => {
    expect(excerpt(Buffer.from('Service\u0000 down\n\tplease retry'))).toBe('Service down please retry');
    expect(excerpt(Buffer.from('Bearer abc.def-ghi rejected'))).toBe('Bearer [redacted] rejected');
    expect(excerpt(Buffer.from('token 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 expired'))).toBe(
      'token [redacted] expired',
    );
    expect(excerpt(Buffer.from('y'.repeat(50)), 10)).toBe(`${'y'.repeat(9)}…`);
  });
});
