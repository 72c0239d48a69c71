import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTransport } from '../../src/http/send.js';
import { refreshToken, requestToken } from '../../src/oauth/client.js';
import { processTokenResponse } from '../../src/oauth/token-response.js';
import { startProvider, type TestProvider } from '../support/provider.js';
import { DEFAULT_RESPONSE, rejectionOf, specFor } from './helpers.js';

const transport = createTransport();
const send = transport.send;
let provider: TestProvider;
const now = () => new Date();

beforeAll(async () => {
  provider = await startProvider();
  provider.registerClient({ clientId: 'client-1', clientSecret: 'secret-1', lifetimeSeconds: 600 });
  provider.registerClient({ clientId: 'forever', clientSecret: 'secret-2', lifetimeSeconds: null });
  provider.registerClient({ clientId: 'refreshing', clientSecret: 'secret-3', issueRefreshToken: true });
  provider.registerClient({
    clientId: 'zoom-like',
    clientSecret: 'secret-4',
    account: { account_id: 'acc-9', name: 'Acme', email: 'ops@acme.test' },
  });
});
beforeEach(() => provider.reset());
afterAll(async () => {
  await provider.close();
  await transport.close();
});

function expectExpiryAbout(expiresAt: Date | null, start: Date, seconds: number) {
  expect(expiresAt).not.toBeNull();
  const delta = (expiresAt!.getTime() - start.getTime()) / 1000;
  expect(delta).toBeGreaterThan(seconds - 3);
  expect(delta).toBeLessThan(seconds + 3);
}

describe('a standard answer', () => {
  it('gives the token, Bearer type, expiry from expires_in, no refresh token and non-secret meta', async () => {
    const start = now();
    const token = await requestToken(specFor(provider), send, start);
    expect(provider.issuedTokens()).toContain(token.accessToken);
    expect(token).toMatchObject({ tokenType: 'Bearer', refreshToken: null, scopes: null });
    expectExpiryAbout(token.expiresAt, start, 600);
    expect(token.meta).toEqual({ token_type: 'Bearer', expires_in: 600, instance_url: provider.url });
    expect(JSON.stringify(token.meta)).not.toContain(token.accessToken);
    expect(provider.stats.tokenRequests).toBe(1);
  });
});

describe('provider quirks', () => {
  it('when the answer is form-encoded, it reads it', async () => {
    provider.quirk({ formEncodedResponse: true });
    const start = now();
    const token = await requestToken(specFor(provider), send, start);
    expect(token.tokenType).toBe('Bearer');
    expectExpiryAbout(token.expiresAt, start, 600);
  });

  it('when expires_in is a numeric string, it reads it as a number', async () => {
    provider.quirk({ expiresInAsString: true });
    const start = now();
    expectExpiryAbout((await requestToken(specFor(provider), send, start)).expiresAt, start, 600);
  });

  it('when expires_in is in milliseconds and the definition says so, the lifetime is right', async () => {
    provider.quirk({ expiresInMilliseconds: true });
    const start = now();
    const spec = specFor(provider, { response: { ...DEFAULT_RESPONSE, expiresInUnit: 'milliseconds' } });
    expectExpiryAbout((await requestToken(spec, send, start)).expiresAt, start, 600);
  });

  it.each([['iso'], ['epoch']] as const)('when the expiry is absolute (%s), it uses it', async (form) => {
    provider.quirk({ absoluteExpiry: form });
    const start = now();
    const spec = specFor(provider, { response: { ...DEFAULT_RESPONSE, expiresAt: 'expires_at' } });
    expectExpiryAbout((await requestToken(spec, send, start)).expiresAt, start, 600);
  });

  it('when there is no expiry, it applies the default lifetime, or none when the default is null', async () => {
    provider.quirk({ noExpiresIn: true });
    const start = now();
    expectExpiryAbout(
      (await requestToken(specFor(provider, { defaultLifetimeSeconds: 1800 }), send, start)).expiresAt,
      start,
      1800,
    );
    expect((await requestToken(specFor(provider, { defaultLifetimeSeconds: null }), send)).expiresAt).toBeNull();
  });

  it('when the token never expires at the provider, expiresAt follows the definition default', async () => {
    const spec = specFor(provider, {
      credentials: { clientId: 'forever', clientSecret: 'secret-2' },
      defaultLifetimeSeconds: null,
    });
    expect((await requestToken(spec, send)).expiresAt).toBeNull();
  });

  it('when the token sits under a nested path, it reads it there and keeps it out of meta', async () => {
    provider.quirk({ tokenPath: 'data.token' });
    const spec = specFor(provider, { response: { ...DEFAULT_RESPONSE, accessToken: 'data.token' } });
    const token = await requestToken(spec, send);
    expect(provider.issuedTokens()).toContain(token.accessToken);
    expect(JSON.stringify(token.meta)).not.toContain(token.accessToken);
  });

  it('when the token is not where the definition says, it fails permanently and tells where to look', async () => {
    provider.quirk({ tokenPath: 'data.token' });
    const error = await rejectionOf(requestToken(specFor(provider), send));
    expect(error).toMatchObject({ kind: 'permanent', code: 'invalid_token_response' });
    expect(error.message).toContain('token.response.accessToken');
    for (const issued of provider.issuedTokens()) expect(error.message).not.toContain(issued);
  });

  it('when the provider returns one token per client (Twitter/WSO2), repeated requests yield the same token', async () => {
    provider.quirk({ oneTokenPerClient: true });
    const first = await requestToken(specFor(provider), send);
    const second = await requestToken(specFor(provider), send);
    expect(second.accessToken).toBe(first.accessToken);
    expect(provider.stats.tokenRequests).toBe(2);
  });

  it('when a 200 carries an error field, it is a failure', async () => {
    provider.quirk({ okWithErrorBody: true });
    const error = await rejectionOf(requestToken(specFor(provider), send));
    expect(error).toMatchObject({ kind: 'permanent', code: 'invalid_client', status: 200 });
  });

  it('when a 200 body is malformed JSON, it fails with invalid_token_response', async () => {
    provider.quirk({ malformedJson: true });
    await expect(requestToken(specFor(provider), send)).rejects.toMatchObject({
      kind: 'permanent',
      code: 'invalid_token_response',
    });
  });
});

describe('scopes, token types and refresh tokens', () => {
  it('splits the scope string into scopes', async () => {
    expect((await requestToken(specFor(provider, { scope: 'read  write' }), send)).scopes).toEqual(['read', 'write']);
  });

  it('compares token_type case-insensitively and tolerates a missing one', () => {
    const response = (body: object) => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(body)),
    });
    const spec = specFor(provider);
    expect(processTokenResponse(response({ access_token: 'a', token_type: 'bEaReR' }), spec).tokenType).toBe('Bearer');
    expect(processTokenResponse(response({ access_token: 'a' }), spec).tokenType).toBeNull();
    expect(processTokenResponse(response({ access_token: 'a', token_type: 'DPoP' }), spec).tokenType).toBe('DPoP');
  });

  const metaOf = (body: object) =>
    processTokenResponse(
      { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) },
      specFor(provider),
    ).meta;

  it('drops secret-looking fields from meta at any depth and keeps the useful ones', () => {
    const body = {
      access_token: 'tok-123',
      id_token: 'eyJ.x.y',
      api_domain: 'https://api.example',
      signature: 'sig',
      nested: { client_secret: 'x', region: 'eu', copy: 'tok-123' },
      refresh_token_expires_in: 100,
    };
    expect(metaOf(body)).toEqual({
      api_domain: 'https://api.example',
      nested: { region: 'eu' },
      refresh_token_expires_in: 100,
    });
  });

  it('drops from meta any value holding the client secret or the token, in clear or encoded, whatever its name', () => {
    const body = {
      access_token: 'tok/123',
      instance_name: 'instance of secret-1',
      echoed_url: 'https://api.example/?t=tok%2F123',
      region: 'eu',
    };
    expect(metaOf(body)).toEqual({ region: 'eu' });
  });

  it('sniffs the body format when the content type lies', () => {
    const spec = specFor(provider);
    const form = {
      status: 200,
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from('access_token=abc&token_type=bearer&expires_in=60'),
    };
    expect(processTokenResponse(form, spec)).toMatchObject({ accessToken: 'abc', tokenType: 'Bearer' });
    const json = { status: 200, headers: {}, body: Buffer.from('{"access_token":"def"}') };
    expect(processTokenResponse(json, spec).accessToken).toBe('def');
  });

  it('when the provider issues a refresh token, it is kept and refreshes into a new token set', async () => {
    const spec = specFor(provider, { credentials: { clientId: 'refreshing', clientSecret: 'secret-3' } });
    const first = await requestToken(spec, send);
    expect(first.refreshToken).toBeTruthy();
    const second = await refreshToken(spec, send, first.refreshToken!, `${provider.url}/oauth/token`);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(provider.stats.refreshRequests).toBe(1);
    const reuse = await rejectionOf(refreshToken(spec, send, first.refreshToken!, `${provider.url}/oauth/token`));
    expect(reuse).toMatchObject({ kind: 'permanent', code: 'invalid_grant' });
  });

  it('supports another grant type with extra params (account_credentials)', async () => {
    const spec = specFor(provider, {
      grantType: 'account_credentials',
      params: [['account_id', 'acc-9']],
      credentials: { clientId: 'zoom-like', clientSecret: 'secret-4' },
    });
    await expect(requestToken(spec, send)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });
});
