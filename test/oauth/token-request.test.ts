import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTransport } from '../../src/http/send.js';
import { requestToken } from '../../src/oauth/client.js';
import { buildClientCredentialsRequest } from '../../src/oauth/token-request.js';
import type { TokenEndpointSpec } from '../../src/oauth/types.js';
import { startProvider, type TestProvider } from '../support/provider.js';
import { specFor } from './helpers.js';

const transport = createTransport();
const send = transport.send;
let provider: TestProvider;

beforeAll(async () => {
  provider = await startProvider();
  provider.registerClient({ clientId: 'client-1', clientSecret: 'secret-1', scopes: ['read', 'write'] });
});
beforeEach(() => provider.reset());
afterAll(async () => {
  await provider.close();
  await transport.close();
});

/** What the server received, by sending the built request to the provider's echo endpoint. */
async function echoed(overrides: Partial<TokenEndpointSpec>) {
  provider.quirk({ apiOpen: true });
  const request = await buildClientCredentialsRequest(
    specFor(provider, { url: `${provider.url}/api/echo`, ...overrides }),
  );
  const response = await send(request);
  return JSON.parse(response.body.toString()) as {
    method: string;
    query: Record<string, string | string[]>;
    headers: Record<string, string>;
    body: string;
    json?: Record<string, unknown>;
  };
}

describe('form format', () => {
  it('POSTs a UTF-8 form body with grant_type, scope and Accept: application/json', async () => {
    const seen = await echoed({ scope: 'read wrïte' });
    expect(seen.method).toBe('POST');
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.headers.accept).toBe('application/json');
    expect(seen.body).toBe('grant_type=client_credentials&scope=read+wr%C3%AFte');
  });

  it('keeps the token URL query, and does not repeat a parameter the query already has', async () => {
    const seen = await echoed({ url: `${provider.url}/api/echo?tenant=a%20b&grant_type=client_credentials` });
    expect(seen.query).toEqual({ tenant: 'a b', grant_type: 'client_credentials' });
    expect(seen.body).toBe('');
  });

  it('repeats RFC 8707 resource parameters, leaves out empty values and keeps its own grant_type over the definition', async () => {
    const seen = await echoed({
      params: [
        ['resource', 'https://a.example'],
        ['resource', 'https://b.example'],
        ['audience', ''],
        ['grant_type', 'password'],
      ],
    });
    expect(seen.body).toBe(
      'grant_type=client_credentials&resource=https%3A%2F%2Fa.example&resource=https%3A%2F%2Fb.example',
    );
  });

  it('when grantType is null, it sends no grant_type', async () => {
    const seen = await echoed({ grantType: null, params: [['account_id', 'acc-1']] });
    expect(seen.body).toBe('account_id=acc-1');
  });

  it('lets definition headers replace Accept but not Content-Type', async () => {
    const seen = await echoed({
      headers: { Accept: 'application/vnd.api+json', 'Content-Type': 'text/plain', 'X-Api-Key': 'k' },
    });
    expect(seen.headers.accept).toBe('application/vnd.api+json');
    expect(seen.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(seen.headers['x-api-key']).toBe('k');
  });
});

describe('json format', () => {
  it('POSTs a JSON object, repeated parameters as arrays', async () => {
    const seen = await echoed({
      format: 'json',
      scope: 'read',
      params: [
        ['resource', 'https://a.example'],
        ['resource', 'https://b.example'],
      ],
    });
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.json).toEqual({
      grant_type: 'client_credentials',
      scope: 'read',
      resource: ['https://a.example', 'https://b.example'],
    });
  });

  it('works end to end against the provider, grant_type in the URL (Greenhouse style)', async () => {
    const spec = specFor(provider, {
      format: 'json',
      grantType: null,
      url: `${provider.url}/oauth/token?grant_type=client_credentials`,
    });
    await expect(requestToken(spec, send)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });
});

describe('query format', () => {
  it('POSTs every parameter in the query after the URL own query, with no body', async () => {
    const seen = await echoed({ format: 'query', url: `${provider.url}/api/echo?tenant=t`, scope: 'read write' });
    expect(seen.method).toBe('POST');
    expect(seen.query).toEqual({ tenant: 't', grant_type: 'client_credentials', scope: 'read write' });
    expect(seen.body).toBe('');
    expect(seen.headers['content-type']).toBeUndefined();
  });

  it('works end to end against the provider with Basic authentication', async () => {
    await expect(requestToken(specFor(provider, { format: 'query', scope: 'read' }), send)).resolves.toMatchObject({
      scopes: ['read'],
    });
  });
});

describe('scopes end to end', () => {
  it('when the provider refuses a scope, it fails permanently with invalid_scope', async () => {
    await expect(requestToken(specFor(provider, { scope: 'admin' }), send)).rejects.toMatchObject({
      kind: 'permanent',
      code: 'invalid_scope',
    });
  });
});
