import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { tlsFixture } from '../support/provider.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    provider: { https: true },
    env: { EXTRA_CA_CERTS: fileURLToPath(new URL('../support/tls/ca.crt', import.meta.url)) },
  });
  await h.applyConnector(
    providerConnector(h.provider.url, {
      key: 'acme-mtls',
      fields: [
        { key: 'client_id', label: 'Client ID', type: 'text', required: true },
        {
          key: 'client_certificate',
          label: 'Client certificate (PEM)',
          type: 'secret',
          multiline: true,
          required: true,
        },
        {
          key: 'client_private_key',
          label: 'Client private key (PEM)',
          type: 'secret',
          multiline: true,
          required: true,
        },
      ],
      token: { url: `${h.provider.url}/oauth/token`, clientAuth: 'tls_client_auth' },
    }),
  );
  h.provider.registerClient({
    clientId: 'mtls-client',
    certificatePem: tlsFixture('client.crt'),
    account: { account_id: 'mtls', name: 'Mutual', email: 'm@example.com' },
  });
});
afterAll(() => h?.close());

describe('tls_client_auth', () => {
  it('connects with the client certificate from the secret fields and calls the API over https', async () => {
    const fields = {
      client_id: 'mtls-client',
      client_certificate: tlsFixture('client.crt'),
      client_private_key: tlsFixture('client.key'),
    };
    const { connectionId } = await h.client.connect({ owner: 'ws', connector: 'acme-mtls', fields });
    const stored = await h.runtime.store.connections.get(connectionId);
    expect(stored?.secrets.client_private_key).toMatch(/^sealed:v3:/);
    expect((await h.client.call({ owner: 'ws', connectionId, url: 'text' })).body).toBe('hello from the test provider');
  });

  it("refuses another client's certificate as invalid_client", async () => {
    const fields = {
      client_id: 'mtls-client',
      client_certificate: tlsFixture('other-client.crt'),
      client_private_key: tlsFixture('other-client.key'),
    };
    await expect(h.client.connect({ owner: 'ws', connector: 'acme-mtls', fields })).rejects.toThrow(/invalid_client/);
  });
});
