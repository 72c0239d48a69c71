import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport, type HttpTransport, type TransportOptions } from '../../src/http/send.js';
import { requestToken } from '../../src/oauth/client.js';
import { buildClientCredentialsRequest } from '../../src/oauth/token-request.js';
import { startProvider, type TestProvider, tlsFixture } from '../support/provider.js';
import { specFor } from './helpers.js';

let provider: TestProvider;
let transport: HttpTransport = createTransport();
const send: HttpTransport['send'] = (request) => transport.send(request);

/** Starts from fresh connection pools trusting what `options` says. */
async function useTransport(options: TransportOptions): Promise<void> {
  await transport.close();
  transport = createTransport(options);
}

beforeAll(async () => {
  provider = await startProvider({ https: true });
  provider.registerClient({ clientId: 'mtls-client', certificatePem: tlsFixture('client.crt') });
  provider.registerClient({ clientId: 'client-1', clientSecret: 'secret-1' });
});
afterAll(async () => {
  await provider.close();
  await transport.close();
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
    await useTransport({});
    await expect(requestToken(specFor(provider), send)).rejects.toMatchObject({ kind: 'permanent', code: 'tls_error' });
  });

  it('sends only client_id in the body and the certificate over TLS, accepted by the provider', async () => {
    await useTransport({ extraCa: tlsFixture('ca.crt') });
    const request = await buildClientCredentialsRequest(mtlsSpec('client'));
    expect(request.body).toBe('grant_type=client_credentials&client_id=mtls-client');
    expect(request.headers.authorization).toBeUndefined();
    expect(request.tls?.cert).toContain('BEGIN CERTIFICATE');
    await expect(requestToken(mtlsSpec('client'), send)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('when the certificate is not the registered one, the provider answers invalid_client', async () => {
    await useTransport({ extraCa: tlsFixture('ca.crt') });
    await expect(requestToken(mtlsSpec('other-client'), send)).rejects.toMatchObject({
      kind: 'permanent',
      code: 'invalid_client',
    });
  });

  it('with the CA trusted, plain clients still use the https provider without a certificate', async () => {
    await useTransport({ extraCa: tlsFixture('ca.crt') });
    await expect(requestToken(specFor(provider), send)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });
});
