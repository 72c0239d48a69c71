import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTransport } from '../../src/http/send.js';
import { requestToken } from '../../src/oauth/client.js';
import { formUrlEncode } from '../../src/oauth/client-auth.js';
import { buildClientCredentialsRequest } from '../../src/oauth/token-request.js';
import { startProvider, type TestProvider } from '../support/provider.js';
import { rejectionOf, specFor } from './helpers.js';

const AWKWARD_SECRET = "s3cr%:+/= t!'()*é";

const transport = createTransport();
const send = transport.send;
let provider: TestProvider;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: typeof rsa.privateKey, type: 'pkcs8' | 'pkcs1' | 'sec1') =>
  key.export({ type, format: 'pem' }).toString();

beforeAll(async () => {
  provider = await startProvider();
  provider.registerClient({ clientId: 'client-1', clientSecret: 'secret-1' });
  provider.registerClient({ clientId: 'awkward id', clientSecret: AWKWARD_SECRET });
  provider.registerClient({
    clientId: 'jwt-client',
    publicKeyPem: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  provider.registerClient({
    clientId: 'ec-client',
    publicKeyPem: ec.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
});
beforeEach(() => provider.reset());
afterAll(async () => {
  await provider.close();
  await transport.close();
});

describe('form url encoding of Basic credentials', () => {
  it('when a value holds reserved characters, it encodes them as application/x-www-form-urlencoded', () => {
    expect(formUrlEncode("a b%:+/=!'()*~-._")).toBe('a+b%25%3A%2B%2F%3D%21%27%28%29%2A~-._');
  });
});

describe('basic (RFC 6749 §2.3.1)', () => {
  it('when the secret holds %:+/= and spaces, a strict RFC server accepts it', async () => {
    provider.quirk({ basicEncoding: 'rfc' });
    const spec = specFor(provider, { credentials: { clientId: 'awkward id', clientSecret: AWKWARD_SECRET } });
    const token = await requestToken(spec, send);
    expect(token.accessToken).toMatch(/^[\w-]{20,}$/);
    expect(provider.stats.tokenRequestsByClient.get('awkward id')).toBe(1);
  });

  it('when the server wants raw credentials, basic is rejected as invalid_client without leaking the secret', async () => {
    provider.quirk({ basicEncoding: 'raw' });
    const spec = specFor(provider, { credentials: { clientId: 'awkward id', clientSecret: AWKWARD_SECRET } });
    const error = await rejectionOf(requestToken(spec, send));
    expect(error).toMatchObject({ kind: 'permanent', code: 'invalid_client', status: 401 });
    expect(error.message).not.toContain(AWKWARD_SECRET);
  });

  it('sends credentials only in the Authorization header, never in the body', async () => {
    const request = await buildClientCredentialsRequest(specFor(provider));
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('client-1:secret-1').toString('base64')}`);
    expect(String(request.body)).toBe('grant_type=client_credentials');
    expect(request.url).not.toContain('secret');
  });
});

describe('basic_raw', () => {
  it('when the server wants raw credentials, the secret goes unencoded and is accepted', async () => {
    provider.quirk({ basicEncoding: 'raw' });
    const spec = specFor(provider, {
      clientAuth: 'basic_raw',
      credentials: { clientId: 'awkward id', clientSecret: AWKWARD_SECRET },
    });
    await expect(requestToken(spec, send)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('when a strict RFC server receives raw reserved characters, it answers invalid_client', async () => {
    provider.quirk({ basicEncoding: 'rfc' });
    const spec = specFor(provider, {
      clientAuth: 'basic_raw',
      credentials: { clientId: 'awkward id', clientSecret: AWKWARD_SECRET },
    });
    await expect(requestToken(spec, send)).rejects.toMatchObject({ code: 'invalid_client' });
  });
});

describe('body', () => {
  it('puts client_id and client_secret in the body and no Authorization header', async () => {
    const spec = specFor(provider, {
      clientAuth: 'body',
      credentials: { clientId: 'awkward id', clientSecret: AWKWARD_SECRET },
    });
    const request = await buildClientCredentialsRequest(spec);
    expect(request.headers.authorization).toBeUndefined();
    expect(new URLSearchParams(String(request.body)).get('client_secret')).toBe(AWKWARD_SECRET);
    await expect(requestToken(spec, send)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  it('when the definition adds client_secret or a client_id of its own, client authentication wins and nothing is sent twice', async () => {
    const spec = specFor(provider, {
      clientAuth: 'body',
      params: [
        ['client_secret', 'other'],
        ['client_id', 'other'],
        ['audience', 'https://api.example'],
      ],
    });
    const body = new URLSearchParams(String((await buildClientCredentialsRequest(spec)).body));
    expect(body.getAll('client_secret')).toEqual(['secret-1']);
    expect(body.getAll('client_id')).toEqual(['client-1']);
    expect(body.get('audience')).toBe('https://api.example');
    await expect(requestToken(spec, send)).resolves.toBeDefined();
  });

  it('with the query format, it refuses to put the secret in the URL', async () => {
    const spec = specFor(provider, { clientAuth: 'body', format: 'query' });
    await expect(requestToken(spec, send)).rejects.toMatchObject({ kind: 'invalid_input', code: 'credentials_in_url' });
    expect(provider.stats.tokenRequests).toBe(0);
  });

  it('when the definition sets Authorization under basic, the client authentication header wins', async () => {
    const spec = specFor(provider, { headers: { Authorization: 'Basic bm9wZTpub3Bl', 'X-Extra': 'yes' } });
    const request = await buildClientCredentialsRequest(spec);
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from('client-1:secret-1').toString('base64')}`);
    expect(request.headers['x-extra']).toBe('yes');
    await expect(requestToken(spec, send)).resolves.toBeDefined();
  });
});

describe('private_key_jwt (RFC 7523)', () => {
  const jwtSpec = (privateKeyPem: string, extra: object = {}) =>
    specFor(provider, {
      clientAuth: 'private_key_jwt',
      credentials: { clientId: 'jwt-client', privateKeyPem },
      assertion: { algorithm: 'RS256' },
      ...extra,
    });

  it('signs an assertion the provider verifies (signature, aud, exp, jti)', async () => {
    const token = await requestToken(jwtSpec(pem(rsa.privateKey, 'pkcs8')), send);
    expect(token.accessToken).toBeTruthy();
  });

  it('builds iss = sub = client id, aud = token URL without query, exp = iat + 60, unique jti', async () => {
    const spec = jwtSpec(pem(rsa.privateKey, 'pkcs8'), { url: `${provider.url}/oauth/token?tenant=t1` });
    const now = new Date('2030-01-01T00:00:00Z');
    const [first, second] = await Promise.all([
      buildClientCredentialsRequest(spec, now),
      buildClientCredentialsRequest(spec, now),
    ]);
    const body = new URLSearchParams(String(first.body));
    expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(body.get('client_id')).toBe('jwt-client');
    const claims = decodeJwt(body.get('client_assertion')!);
    expect(claims).toMatchObject({
      iss: 'jwt-client',
      sub: 'jwt-client',
      aud: `${provider.url}/oauth/token`,
      iat: 1893456000,
      exp: 1893456060,
    });
    expect(claims.jti).not.toBe(decodeJwt(new URLSearchParams(String(second.body)).get('client_assertion')!).jti);
    expect(first.headers.authorization).toBeUndefined();
  });

  it('accepts a PKCS#1 RSA key and sets kid when configured', async () => {
    const spec = jwtSpec(pem(rsa.privateKey, 'pkcs1'), { assertion: { algorithm: 'RS256', keyId: 'key-7' } });
    const request = await buildClientCredentialsRequest(spec);
    expect(decodeProtectedHeader(new URLSearchParams(String(request.body)).get('client_assertion')!)).toMatchObject({
      alg: 'RS256',
      kid: 'key-7',
    });
    await expect(requestToken(spec, send)).resolves.toBeDefined();
  });

  it('accepts a SEC1 EC key with ES256', async () => {
    const spec = specFor(provider, {
      clientAuth: 'private_key_jwt',
      credentials: { clientId: 'ec-client', privateKeyPem: pem(ec.privateKey, 'sec1') },
      assertion: { algorithm: 'ES256' },
    });
    await expect(requestToken(spec, send)).resolves.toBeDefined();
  });

  it('when the audience is wrong, the provider rejects it as invalid_client', async () => {
    const spec = jwtSpec(pem(rsa.privateKey, 'pkcs8'), {
      assertion: { algorithm: 'RS256', audience: 'https://elsewhere' },
    });
    await expect(requestToken(spec, send)).rejects.toMatchObject({ kind: 'permanent', code: 'invalid_client' });
  });

  it('when the key is not a key, it fails as invalid_input without echoing it', async () => {
    const garbage = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----';
    const error = await rejectionOf(requestToken(jwtSpec(garbage), send));
    expect(error).toMatchObject({ kind: 'invalid_input', code: 'invalid_private_key' });
    expect(error.message).not.toContain('c2VjcmV0');
  });

  it('when the algorithm does not fit the key, it says which setting to change', async () => {
    const error = await rejectionOf(
      requestToken(jwtSpec(pem(rsa.privateKey, 'pkcs8'), { assertion: { algorithm: 'ES256' } }), send),
    );
    expect(error).toMatchObject({ kind: 'invalid_input', code: 'invalid_private_key' });
    expect(error.message).toContain('assertionAlgorithm');
  });
});

describe('credentials in two places', () => {
  it('when a request carries Basic and client_secret, the provider rejects it as invalid_request', async () => {
    const response = await send({
      method: 'POST',
      url: `${provider.url}/oauth/token`,
      headers: {
        authorization: `Basic ${Buffer.from('client-1:secret-1').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&client_id=client-1&client_secret=secret-1',
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body.toString())).toMatchObject({ error: 'invalid_request' });
  });

  it('when credentials are missing, it names the field to fill in', async () => {
    const error = await rejectionOf(requestToken(specFor(provider, { credentials: { clientId: 'client-1' } }), send));
    expect(error).toMatchObject({ kind: 'invalid_input', code: 'missing_client_secret' });
    expect(error.message).toContain('client_secret');
  });
});
