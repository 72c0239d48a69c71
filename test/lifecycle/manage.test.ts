import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openToken } from '../../src/connections/context.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
const account = { account_id: 'acct-m', name: 'Grace', email: 'grace@example.com' };

beforeAll(async () => {
  h = await startHarness();
  await h.applyConnector(providerConnector(h.provider.url));
});
afterAll(() => h?.close());
beforeEach(() => h.provider.reset());

let clientCounter = 0;
async function connected(options: { issueRefreshToken?: boolean; lifetimeSeconds?: number } = {}) {
  const clientId = `manage-${++clientCounter}`;
  h.provider.registerClient({
    clientId,
    clientSecret: 'secret',
    account: { ...account, account_id: clientId },
    ...options,
  });
  const result = await h.client.connect({
    owner: 'ws',
    connector: 'acme',
    fields: { client_id: clientId, client_secret: 'secret' },
  });
  h.provider.reset();
  return { clientId, connectionId: result.connectionId };
}

describe('test', () => {
  it('when the credentials still work, it answers ok and records the time', async () => {
    const { connectionId } = await connected();
    const result = await h.client.test({ owner: 'ws', connectionId });
    expect(result).toEqual({ connectionId, ok: true, status: 200 });
    const stored = await h.runtime.store.connections.get(connectionId);
    expect(stored?.lastTest?.ok).toBe(true);
    expect(h.provider.stats.tokenRequests).toBe(0);
  });

  it('when the test API says the token expired, it renews once and tests again', async () => {
    const { clientId, connectionId } = await connected();
    h.provider.revokeAllTokensOf(clientId);
    const result = await h.client.test({ owner: 'ws', connectionId });
    expect(result.ok).toBe(true);
    expect(h.provider.stats.tokenRequests).toBe(1);
  });

  it('when the test API refuses, it answers ok: false and puts the connection in error', async () => {
    const { connectionId } = await connected();
    h.provider.quirk({ apiStatus: 403 });
    const result = await h.client.test({ owner: 'ws', connectionId });
    expect(result).toMatchObject({ ok: false, status: 403 });
    expect(result.error).toMatch(/403/);
    const stored = await h.runtime.store.connections.get(connectionId);
    expect(stored).toMatchObject({ status: 'error', renewAt: null, lastError: { code: 'test_failed' } });
  });

  it('when another owner asks, it fails as not found', async () => {
    const { connectionId } = await connected();
    await expect(h.client.test({ owner: 'intruder', connectionId })).rejects.toThrow(
      `connection ${connectionId} not found`,
    );
  });
});

describe('refresh', () => {
  it('when the token is not due, it leaves it alone', async () => {
    const { connectionId } = await connected();
    const result = await h.client.refresh({ owner: 'ws', connectionId });
    expect(result.renewed).toBe(false);
    expect(h.provider.stats.tokenRequests).toBe(0);
  });

  it('when forced, it asks for a new token and stores it sealed with a new renewal time', async () => {
    const { connectionId } = await connected();
    const before = await h.runtime.store.connections.get(connectionId);
    const result = await h.client.refresh({ owner: 'ws', connectionId, force: true });
    expect(result.renewed).toBe(true);
    const after = await h.runtime.store.connections.get(connectionId);
    expect(after?.accessToken).not.toBe(before?.accessToken);
    expect(openToken(h.keys, after!, 'access_token')).toMatch(/.+/);
    expect(after?.renewAt?.getTime()).toBeGreaterThan(before?.renewAt?.getTime() ?? 0);
    expect(h.provider.stats.tokenRequests).toBe(1);
  });

  it('when a refresh token was issued and a refresh URL is set, it uses grant_type=refresh_token', async () => {
    const connector = providerConnector(h.provider.url, {
      key: 'acme-refresh',
      refresh: { url: `${h.provider.url}/oauth/token` },
    });
    await h.applyConnector(connector);
    h.provider.registerClient({
      clientId: 'refresher',
      clientSecret: 'secret',
      issueRefreshToken: true,
      account: { ...account, account_id: 'refresher' },
    });
    const { connectionId } = await h.client.connect({
      owner: 'ws',
      connector: 'acme-refresh',
      fields: { client_id: 'refresher', client_secret: 'secret' },
    });
    const stored = await h.runtime.store.connections.get(connectionId);
    expect(stored?.refreshToken).toMatch(/^sealed:v3:/);
    h.provider.reset();
    await h.client.refresh({ owner: 'ws', connectionId, force: true });
    expect(h.provider.stats.refreshRequests).toBe(1);
  });

  it('when the provider refuses the client for good, the connection goes to error and renewal stops', async () => {
    const { connectionId } = await connected();
    h.provider.quirk({ tokenError: 'invalid_client' });
    await expect(h.client.refresh({ owner: 'ws', connectionId, force: true })).rejects.toThrow(/invalid_client/);
    const stored = await h.runtime.store.connections.get(connectionId);
    expect(stored).toMatchObject({ status: 'error', renewAt: null, lastError: { code: 'invalid_client' } });
    expect(h.provider.stats.tokenRequests).toBe(1);
    // A scheduled (not forced) renewal of a connection in error does nothing.
    h.provider.reset();
    expect(await h.client.refresh({ owner: 'ws', connectionId })).toMatchObject({ renewed: false });
    expect(h.provider.stats.tokenRequests).toBe(0);
    // Refreshed by hand once the provider accepts again, it is active again.
    expect(await h.client.refresh({ owner: 'ws', connectionId, force: true })).toMatchObject({ renewed: true });
    expect((await h.runtime.store.connections.get(connectionId))?.status).toBe('active');
  });

  it('when the provider is briefly unavailable, it retries with backoff and succeeds', async () => {
    const { connectionId } = await connected();
    h.provider.quirk({ failNextTokenRequests: 2 });
    const result = await h.client.refresh({ owner: 'ws', connectionId, force: true });
    expect(result.renewed).toBe(true);
    expect(h.provider.stats.tokenRequests).toBe(3);
  });

  it('when the provider stays unavailable, the job fails after the last attempt and the connection stays active', async () => {
    const { connectionId } = await connected();
    h.provider.quirk({ status503: true });
    await expect(h.client.refresh({ owner: 'ws', connectionId, force: true })).rejects.toThrow(
      /gave up after 3 attempts/,
    );
    const stored = await h.runtime.store.connections.get(connectionId);
    expect(stored?.status).toBe('active');
    expect(stored?.lastError?.code).toBeDefined();
    expect(h.provider.stats.tokenRequests).toBe(3);
  });
});

describe('revoke', () => {
  it('when the provider revokes, tokens and secrets are wiped and providerRevoked is true', async () => {
    const { connectionId } = await connected();
    const result = await h.client.revoke({ owner: 'ws', connectionId });
    expect(result).toEqual({ connectionId, status: 'revoked', providerRevoked: true });
    const stored = await h.runtime.store.connections.get(connectionId);
    expect(stored).toMatchObject({
      status: 'revoked',
      accessToken: null,
      refreshToken: null,
      secrets: {},
      renewAt: null,
    });
    expect(h.provider.stats.revocations).toHaveLength(1);
    await expect(h.client.call({ owner: 'ws', connectionId, url: 'echo' })).rejects.toThrow(/revoked/);
  });

  it('when revoked again, it succeeds and changes nothing', async () => {
    const { connectionId } = await connected();
    await h.client.revoke({ owner: 'ws', connectionId });
    const before = await h.runtime.store.connections.get(connectionId);
    const again = await h.client.revoke({ owner: 'ws', connectionId });
    expect(again).toMatchObject({ status: 'revoked', providerRevoked: null });
    expect((await h.runtime.store.connections.get(connectionId))?.version).toBe(before?.version);
  });

  it('when the provider cannot revoke that kind of token, it wipes locally and says why', async () => {
    const { connectionId } = await connected();
    h.provider.quirk({ revokeUnsupportedTokenType: true });
    const result = await h.client.revoke({ owner: 'ws', connectionId });
    expect(result).toMatchObject({ status: 'revoked', providerRevoked: false, reason: 'unsupported_token_type' });
  });

  it('when the provider answers 503 every time, the job fails, the connection stays revoking and no call may use it', async () => {
    const { connectionId } = await connected();
    h.provider.quirk({ revoke503: true });
    await expect(h.client.revoke({ owner: 'ws', connectionId })).rejects.toThrow(/gave up/);
    const stored = await h.runtime.store.connections.get(connectionId);
    expect(stored?.status).toBe('revoking');
    expect(stored?.accessToken).not.toBeNull();
    await expect(h.client.call({ owner: 'ws', connectionId, url: 'echo' })).rejects.toThrow(/revoking/);
  }, 20_000);

  it('when the connector has no revoke URL, it wipes and reports providerRevoked null', async () => {
    const { revoke: _ignored, ...withoutRevoke } = providerConnector(h.provider.url, { key: 'acme-norevoke' });
    await h.applyConnector(withoutRevoke);
    h.provider.registerClient({
      clientId: 'norevoke',
      clientSecret: 'secret',
      account: { ...account, account_id: 'norevoke' },
    });
    const { connectionId } = await h.client.connect({
      owner: 'ws',
      connector: 'acme-norevoke',
      fields: { client_id: 'norevoke', client_secret: 'secret' },
    });
    const result = await h.client.revoke({ owner: 'ws', connectionId });
    expect(result.providerRevoked).toBeNull();
  });
});
