import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openToken } from '../../src/connections/context.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { startProvider, type TestProvider } from '../support/provider.js';

let h: Harness;
let other: TestProvider;
let connectionId: string;
const SECRET = 'call-secret-value';

beforeAll(async () => {
  h = await startHarness({ env: { CALL_MAX_RESPONSE_BYTES: '100000', JOB_BACKOFF_MS: '200' } });
  other = await startProvider();
  other.quirk({ apiOpen: true });
  await h.applyConnector(
    providerConnector(h.provider.url, { allowedUrls: [`${h.provider.url}/api/`, `${other.url}/api/open/`] }),
  );
  h.provider.registerClient({
    clientId: 'caller',
    clientSecret: SECRET,
    account: { account_id: 'acct-c', name: 'C', email: 'c@example.com' },
  });
  ({ connectionId } = await h.client.connect({
    owner: 'ws',
    connector: 'acme',
    fields: { client_id: 'caller', client_secret: SECRET },
  }));
});
afterAll(async () => {
  await other?.close();
  await h?.close();
});
beforeEach(() => h.provider.reset());

const call = (data: Partial<Parameters<Harness['client']['call']>[0]> & { url: string }) =>
  h.client.call({ owner: 'ws', connectionId, ...data });

type Echo = {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
};

describe('call', () => {
  it('resolves a relative URL against the first allowed URL and injects the token and request defaults', async () => {
    const result = await call({ url: 'echo/items', query: { page: 2 } });
    const echo = result.body as Echo;
    expect(result.status).toBe(200);
    expect(echo.path).toBe('/api/echo/items');
    expect(echo.query).toEqual({ env: 'production', page: '2' });
    expect(echo.headers['x-api-version']).toBe('v2');
    // The upstream echoes the bearer token: the caller gets it redacted.
    expect(echo.headers.authorization).toBe('Bearer [redacted]');
    expect(JSON.stringify(result)).not.toContain(
      openToken(h.keys, (await h.runtime.store.connections.get(connectionId))!, 'access_token') ?? 'missing',
    );
  });

  it("lets the job's own headers and query override the defaults, and merges JSON bodies", async () => {
    const connector = providerConnector(h.provider.url, {
      key: 'acme-body',
      requestDefaults: {
        headers: { Authorization: 'Bearer {{access_token}}' },
        body: { source: 'defaults', keep: true },
      },
    });
    await h.applyConnector(connector);
    const { connectionId: id } = await h.client.connect({
      owner: 'ws',
      connector: 'acme-body',
      fields: { client_id: 'caller', client_secret: SECRET },
    });
    const result = await h.client.call({
      owner: 'ws',
      connectionId: id,
      method: 'POST',
      url: '/api/echo',
      headers: { 'X-Api-Version': 'v9' },
      body: { source: 'job' },
    });
    const echo = result.body as Echo & { json: unknown };
    expect(echo.json).toEqual({ source: 'job', keep: true });
    expect(echo.headers['content-type']).toBe('application/json');
    expect(echo.headers['x-api-version']).toBe('v9');
  });

  it('refuses URLs outside the allowed list before sending anything, naming the URL and the list', async () => {
    for (const url of [
      'https://api.example.com.evil.test/api/',
      `${h.provider.url.replace('127.0.0.1', '127.0.0.1@evil.test')}/api/echo`,
      `${h.provider.url}/api/../admin`,
      `${h.provider.url}/api/%2e%2e/admin`,
      `${h.provider.url}/apiary`,
    ]) {
      await expect(call({ url })).rejects.toThrow(/allowed|userinfo|not within|invalid/i);
    }
    expect(h.provider.stats.apiRequests).toBe(0);
  });

  it('refuses header values with CR or LF', async () => {
    await expect(call({ url: 'echo', headers: { 'X-Evil': 'a\r\nInjected: 1' } })).rejects.toThrow(/headers\.X-Evil/i);
  });

  it('when the API answers 401, it renews the token once and retries the request', async () => {
    h.provider.revokeAllTokensOf('caller');
    const result = await call({ url: 'echo' });
    expect(result.status).toBe(200);
    expect(h.provider.stats.tokenRequests).toBe(1);
    expect(h.provider.stats.apiRequests).toBe(2);
  });

  it('when the API keeps answering 401 after a renewal, it returns that answer and records the failure', async () => {
    const result = await call({ url: 'status/401' });
    expect(result.status).toBe(401);
    expect(h.provider.stats.tokenRequests).toBe(1);
    expect((await h.runtime.store.connections.get(connectionId))?.lastError?.code).toBe('token_rejected');
    // Within the cooldown the same rejected token is not renewed again on every call.
    expect((await call({ url: 'status/401' })).status).toBe(401);
    expect(h.provider.stats.tokenRequests).toBe(1);
    // A renewal by hand clears the record, so the next rejection renews again.
    await h.client.refresh({ owner: 'ws', connectionId, force: true });
    h.provider.reset();
    expect((await call({ url: 'status/401' })).status).toBe(401);
    expect(h.provider.stats.tokenRequests).toBe(1);
  });

  it('returns any other HTTP answer as a completed job', async () => {
    expect((await call({ url: 'status/404' })).status).toBe(404);
  });

  it('returns text as text and binary as base64 with its content type', async () => {
    expect((await call({ url: 'text' })).body).toBe('hello from the test provider');
    const binary = (await call({ url: 'binary' })).body as { base64: string; contentType: string };
    expect(binary.contentType).toBe('image/png');
    expect(Buffer.from(binary.base64, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('fails a response larger than the limit with a clear error', async () => {
    await expect(call({ url: 'large?bytes=200000' })).rejects.toThrow(/response_too_large|larger than/);
  });

  it('fails an answer within the size limit whose result JSON would outgrow it (text of control characters)', async () => {
    // 90,000 bytes, under CALL_MAX_RESPONSE_BYTES=100000, escape to 540,000 bytes of JSON: more than base64 could take.
    await expect(call({ url: 'large?bytes=90000&control' })).rejects.toThrow(
      /^\[response_too_large\] GET http:\/\/127\.0\.0\.1:\d+\/api\/large: the answer takes 54\d{4} bytes as the job's result \(JSON escapes it\), more than 198872 /,
    );
    // The same bytes as binary are stored base64-grown, within the limit.
    expect(((await call({ url: 'large?bytes=90000' })).body as { base64: string }).base64).toHaveLength(120_000);
  });

  it('fails a request that takes longer than its timeout', async () => {
    await expect(call({ url: 'slow?ms=3000', timeoutMs: 300 })).rejects.toThrow(/timeout|no answer within/);
  });

  it('follows a redirect to an allowed URL of another origin without the credentials', async () => {
    const to = `${other.url}/api/open/echo`;
    const result = await call({ url: `redirect?to=${encodeURIComponent(to)}` });
    const echo = result.body as Echo;
    expect(result.status).toBe(200);
    expect(echo.path).toBe('/api/open/echo');
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers['x-api-version']).toBe('v2');
  });

  it('returns a redirect to a URL outside the list as it is', async () => {
    const result = await call({ url: `redirect?to=${encodeURIComponent('https://evil.test/steal')}` });
    expect(result.status).toBe(302);
    expect(result.headers.location).toBe('https://evil.test/steal');
  });

  it('when the API answers 429 with Retry-After, the connection sends nothing until then, and the job returns the last answer', async () => {
    const started = Date.now();
    const limited = call({ url: 'status/429?retryAfter=1' }).then((result) => ({ result, at: Date.now() }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const quick = await call({ url: 'echo' });
    const quickAt = Date.now();
    const { result, at } = await limited;
    expect(quick.status).toBe(200);
    // The connection's budget was spent for a second: the other call of the same connection waited for it.
    expect(quickAt - started).toBeGreaterThanOrEqual(1000);
    expect(result.status).toBe(429);
    expect(at - started).toBeGreaterThanOrEqual(2000);
  });
});
