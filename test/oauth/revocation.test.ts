import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTransport } from '../../src/http/send.js';
import { requestToken, revokeToken } from '../../src/oauth/client.js';
import { buildRevocationRequest } from '../../src/oauth/revocation.js';
import { startProvider, type TestProvider } from '../support/provider.js';
import { specFor } from './helpers.js';

const transport = createTransport();
const send = transport.send;
let provider: TestProvider;
let revokeUrl: string;

beforeAll(async () => {
  provider = await startProvider();
  provider.registerClient({ clientId: 'client-1', clientSecret: 'secret-1' });
  revokeUrl = `${provider.url}/oauth/revoke`;
});
beforeEach(() => provider.reset());
afterAll(async () => {
  await provider.close();
  await transport.close();
});

async function meStatus(token: string): Promise<number> {
  return (await send({ method: 'GET', url: `${provider.url}/me`, headers: { authorization: `Bearer ${token}` } }))
    .status;
}

describe('revocation (RFC 7009)', () => {
  it('sends token and hint as a form, client authenticated as for the token endpoint', async () => {
    const request = await buildRevocationRequest({
      ...specFor(provider),
      url: revokeUrl,
      token: 'tok',
      tokenTypeHint: 'refresh_token',
    });
    expect(request.body).toBe('token=tok&token_type_hint=refresh_token');
    expect(request.headers.authorization).toMatch(/^Basic /);
  });

  it('when the provider answers 200, the token is revoked and no longer works', async () => {
    const spec = specFor(provider);
    const { accessToken } = await requestToken(spec, send);
    expect(await meStatus(accessToken)).toBe(200);
    await expect(revokeToken(spec, send, accessToken, 'access_token', revokeUrl)).resolves.toEqual({ revoked: true });
    expect(provider.stats.revocations).toEqual([{ token: accessToken, hint: 'access_token' }]);
    expect(await meStatus(accessToken)).toBe(401);
  });

  it('when the token was already invalid, 200 still means revoked', async () => {
    await expect(revokeToken(specFor(provider), send, 'unknown-token', 'access_token', revokeUrl)).resolves.toEqual({
      revoked: true,
    });
  });

  it('when the provider cannot revoke that token type, it reports not revoked with the reason', async () => {
    provider.quirk({ revokeUnsupportedTokenType: true });
    await expect(revokeToken(specFor(provider), send, 'tok', 'access_token', revokeUrl)).resolves.toEqual({
      revoked: false,
      reason: 'unsupported_token_type',
    });
  });

  it('when the provider answers 503, it is transient with Retry-After', async () => {
    provider.quirk({ revoke503: true });
    await expect(revokeToken(specFor(provider), send, 'tok', 'access_token', revokeUrl)).rejects.toMatchObject({
      kind: 'transient',
      status: 503,
      retryAfterMs: 2000,
    });
  });

  it('when client authentication fails, it is permanent and names the revocation endpoint', async () => {
    const spec = specFor(provider, { credentials: { clientId: 'client-1', clientSecret: 'nope-nope' } });
    const error = await revokeToken(spec, send, 'tok', 'access_token', revokeUrl).catch((e: Error) => e);
    expect(error).toMatchObject({ kind: 'permanent', code: 'invalid_client' });
    expect((error as Error).message).toMatch(/^revocation endpoint answered 401 invalid_client/);
  });
});
