import { describe, expect, it } from 'vitest';
import { resolveConnector } from '../../src/definitions/resolve.js';
import type { ConnectorDefinition } from '../../src/definitions/schema.js';

const minimal: ConnectorDefinition = {
  key: 'acme',
  name: 'Acme',
  fields: [
    { key: 'client_id', label: 'Client ID', type: 'text' },
    { key: 'client_secret', label: 'Client secret', type: 'secret' },
  ],
  token: { url: 'https://auth.acme.test/token' },
  test: { url: 'https://api.acme.test/me' },
  revoke: { url: 'https://auth.acme.test/revoke' },
  allowedUrls: ['https://api.acme.test/'],
};

describe('resolveConnector', () => {
  it('when optional parts are absent, it fills in the documented defaults', () => {
    const resolved = resolveConnector(minimal);
    expect(resolved.token).toEqual({
      url: 'https://auth.acme.test/token',
      grantType: 'client_credentials',
      clientAuth: 'basic',
      format: 'form',
      scopes: [],
      scopeSeparator: ' ',
      params: {},
      headers: {},
      response: {
        accessToken: 'access_token',
        tokenType: 'token_type',
        expiresIn: 'expires_in',
        expiresInUnit: 'seconds',
        expiresAt: undefined,
        refreshToken: 'refresh_token',
        scope: 'scope',
      },
      defaultLifetimeSeconds: 3600,
      privateKey: '{{private_key}}',
      assertionAudience: undefined,
      assertionAlgorithm: 'RS256',
      assertionKeyId: undefined,
      clientCertificate: '{{client_certificate}}',
      clientPrivateKey: '{{client_private_key}}',
    });
    expect(resolved).toMatchObject({
      uniqueIdentifier: '{{client_id}}',
      connectionName: 'Acme {{client_id}}',
      test: { method: 'GET', headers: {}, query: {} },
      revoke: { tokenTypeHint: 'access_token' },
      refresh: undefined,
      requestDefaults: { headers: { Authorization: 'Bearer {{access_token}}' }, query: {}, body: {} },
      renewal: { marginSeconds: 300, marginRatio: 0.5 },
      expiredWhen: { status: [401], body: undefined },
    });
    expect(resolved.fields[0]).toMatchObject({ required: false, multiline: false });
  });

  it('when null is given for grantType and defaultLifetimeSeconds, null stays null', () => {
    const resolved = resolveConnector({
      ...minimal,
      token: { ...minimal.token, grantType: null, defaultLifetimeSeconds: null },
    });
    expect(resolved.token.grantType).toBeNull();
    expect(resolved.token.defaultLifetimeSeconds).toBeNull();
  });

  it('when requestDefaults is present, its missing parts are empty and no Authorization header is added', () => {
    const resolved = resolveConnector({
      ...minimal,
      uniqueIdentifier: '{{test.id}}',
      requestDefaults: { query: { a: 'b' } },
    });
    expect(resolved.requestDefaults).toEqual({ headers: {}, query: { a: 'b' }, body: {} });
    expect(resolved.connectionName).toBe('Acme {{test.id}}');
  });
});
