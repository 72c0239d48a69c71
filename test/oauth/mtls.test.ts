import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTransport, configureTransport } from '../../src/http/send.js';
import { requestToken } from '../../src/oauth/client.js';
import { buildClientCredentialsRequest } from '../../src/oauth/token-request.js';
import { startProvider, type TestProvider, tlsFixture } from '../support/provider.js';
import { specFor } from './helpers.js';

let provider: TestProvider;

beforeAll(async () => {
  provider = await startProvider({ https: true });
  provider.registerClient({ clientId: 'mtls-client', certificatePem: tlsFixture('client.crt') });
  provider.registerClient({ clientId: 'client-1', clientSecret: 'secret-1' });
});
afterAll(async () => {
  await provider.close();
  await closeTransport();
  configureTransport({});
});

const mtlsSpec = (cert: 'client' | 'other-client') =>
  specFor(provider, {
    clientAuth: 'tls_client_auth',
    credentials: {
      clientId: 'mtls-client',
      certificatePem: tlsFixture(`${cert}.crt`),
      certificateKeyPem: tlsFixture(`${cert}.key`),
    },
  });

describe('tls_client_auth (RFC 8705)', () => {
  it('when the provider CA is not trusted, it fails permanently with tls_error', async () => {
    configureTransport({});
    await expect(requestToken(specFor(provider))).rejects.toMatchObject({ kind: 'permanent', code: 'tls_error' });
  });

  it('sends only client_id in the body and the certificate over TLS, accepted by the provider', async () => {
    configureTransport({ extraCa: tlsFixture('ca.crt') });
    const request = await buildClientCredentialsRequest(mtlsSpec('client'));
    expect(request.body).toBe('grant_type=client_credentials&client_id=mtls-client');
    expect(request.headers.authorization).toBeUndefined();
    expect(request.tls?.cert).toContain('BEGIN CERTIFICATE');
    await expect(requestToken(mtlsSpec('client'))).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('when the certificate is not the registered one, the provider answers invalid_client', async () => {
    configureTransport({ extraCa: tlsFixture('ca.crt') });
    await expect(requestToken(mtlsSpec('other-client'))).rejects.toMatchObject({
      kind: 'permanent',
      code: 'invalid_client',
    });
  });

  it('with the CA trusted, plain clients still use the https provider without a certificate', async () => {
    configureTransport({ extraCa: tlsFixture('ca.crt') });
    await expect(requestToken(specFor(provider))).resolves.toMatchObject({ tokenType: 'Bearer' });
  });
});
