/**
 * SSRF through real jobs: field values crafted to move a templated host when connecting, call URLs outside the
 * allowed list, and redirects to other hosts, to loopback aliases and to plain http. Everything is refused (or, for
 * redirects, not followed) with a clear error, and neither the provider nor the "evil" server is contacted.
 */
import { fileURLToPath } from 'node:url';
import { Job } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { startProvider, type TestProvider } from '../support/provider.js';

let h: Harness;
let evil: TestProvider;
let port: string;
let connectionId: string;
const SECRET = 'ssrf-secret-Qw3';
const OWNER = 'ssrf';

beforeAll(async () => {
  h = await startHarness({
    provider: { https: true },
    env: { EXTRA_CA_CERTS: fileURLToPath(new URL('../support/tls/ca.crt', import.meta.url)) },
  });
  evil = await startProvider({ https: true });
  evil.quirk({ apiOpen: true });
  port = new URL(h.provider.url).port;
  // Every URL's host comes from the user's `tenant` field, as with per-tenant providers (Auth0, Okta).
  const base = `https://{{tenant}}:${port}`;
  const connector = providerConnector(h.provider.url, {
    key: 'tenanted',
    token: { url: `${base}/oauth/token`, clientAuth: 'basic' },
    revoke: { url: `${base}/oauth/revoke` },
    test: { method: 'GET', url: `${base}/me` },
    allowedUrls: [`${base}/api/`],
  });
  connector.fields.push({ key: 'tenant', label: 'Tenant domain', type: 'text', required: true });
  await h.applyConnector(connector);
  h.provider.registerClient({ clientId: 'tenant-client', clientSecret: SECRET });
  ({ connectionId } = await h.client.connect({
    owner: OWNER,
    connector: 'tenanted',
    fields: { client_id: 'tenant-client', client_secret: SECRET, tenant: 'localhost' },
  }));
});
afterAll(async () => {
  await evil?.close();
  await h?.close();
});
beforeEach(() => {
  h.provider.reset();
  evil.reset();
  evil.quirk({ apiOpen: true });
});

const untouched = () => {
  expect(h.provider.stats.tokenRequests + h.provider.stats.apiRequests + h.provider.stats.testRequests).toBe(0);
  expect(evil.stats.tokenRequests + evil.stats.apiRequests + evil.stats.testRequests).toBe(0);
};

describe('field values that try to move a templated host', () => {
  it('the host field works with an honest value (the template really reaches the provider)', async () => {
    const result = await h.client.call({ owner: OWNER, connectionId, url: 'echo' });
    expect(result.status).toBe(200);
    expect(h.provider.stats.apiRequests).toBe(1);
  });

  const hostile = [
    'evil.test/',
    'a@evil.test',
    'localhost:443@evil.test',
    '..',
    'localhost%2f..',
    '%2f',
    'evil。test',
    'evil．test',
    '127.0.0.1',
    '2130706433',
    'localhost.',
    'localhost/..',
    'localhost#',
    'localhost?x=',
    'localhost\\evil.test',
    '[::1]',
    ' localhost',
  ];
  it.each(hostile)(
    'when the tenant is %j, the connect fails at once, names the field, sends nothing and stores nothing',
    async (tenant) => {
      const owner = `hostile-${hostile.indexOf(tenant)}`;
      const jobId = await h.client.enqueue('connect', {
        owner,
        connector: 'tenanted',
        fields: { client_id: 'tenant-client', client_secret: SECRET, tenant },
      });
      const failure = await h.client.result('connect', jobId).then(
        () => null,
        (error: Error) => error.message,
      );
      expect(failure).toMatch(/^\[unsafe_url\] \{\{tenant\}\} /);
      if (tenant.length > 3) expect(failure).not.toContain(tenant.trim());
      expect((await Job.fromId(h.runtime.queues.connections, jobId))?.attemptsStarted).toBe(1);
      expect((await h.runtime.store.connections.list({ owner })).items).toEqual([]);
      untouched();
    },
  );
});

describe('call URLs outside the allowed list', () => {
  const refused = () => [
    `https://localhost:${new URL(evil.url).port}/api/echo`,
    `https://127.0.0.1:${port}/api/echo`,
    `http://localhost:${port}/api/echo`,
    'http://api.example.com/api/echo',
    'https://api.example.com/api/echo',
    `https://localhost:${port}@evil.test/api/echo`,
    `https://user:pw@localhost:${port}/api/echo`,
    `https://localhost.:${port}/api/echo`,
    `https://localhost:${port}/api/../admin`,
    `https://localhost:${port}/api/%2e%2e/admin`,
    `https://localhost:${port}/api/%252e%252e/admin`,
    `https://localhost:${port}/api/..%2fadmin`,
    `https://localhost:${port}/api/..;/admin`,
    `https://localhost:${port}/api/%5c..%5cadmin`,
    `https://localhost:${port}/api/x%00`,
    `https://localhost:${port}/apiary`,
    `https://localhost:${port}/me`,
    '//evil.test/api/echo',
    'file:///etc/passwd',
    `gopher://localhost:${port}/api/echo`,
    `https://localhost:${port}/api/echo\r\nX-Injected: 1`,
    `https://localhost:${port}/api/\techo`,
  ];
  it('refuses each before sending anything, with an error that says why', async () => {
    for (const url of refused()) {
      const failure = await h.client.call({ owner: OWNER, connectionId, url }).then(
        (result) => `completed with ${result.status}`,
        (error: Error) => error.message,
      );
      expect(failure, url).toMatch(/\[(url_not_allowed|invalid_url)\] .*(allowed|userinfo|path|control|absolute)/);
    }
    untouched();
  });
});

describe('redirects', () => {
  const redirect = (to: string, status = 302) =>
    h.client.call({ owner: OWNER, connectionId, url: `redirect?status=${status}&to=${encodeURIComponent(to)}` });

  it('follows a redirect within the allowed URLs (the control case)', async () => {
    const result = await redirect(`https://localhost:${port}/api/echo`);
    expect(result.status).toBe(200);
    expect(h.provider.stats.apiRequests).toBe(2);
  });

  it('returns, without following, redirects to another host, a loopback alias, plain http or outside the prefix', async () => {
    const targets = [
      `${evil.url}/api/open/echo`,
      `https://localhost:${new URL(evil.url).port}/api/echo`,
      `https://127.0.0.1:${port}/api/echo`,
      `https://[::1]:${port}/api/echo`,
      `http://localhost:${port}/api/echo`,
      'http://169.254.169.254/latest/meta-data/',
      `https://localhost:${port}/me`,
      `https://localhost:${port}/api/%2e%2e/me`,
    ];
    for (const [i, to] of targets.entries()) {
      const status = [301, 302, 303, 307, 308][i % 5]!;
      const result = await redirect(to, status);
      expect(result.status, to).toBe(status);
      expect(result.headers.location, to).toBe(to);
    }
    // Only the redirecting requests themselves reached the provider; the evil server saw nothing.
    expect(h.provider.stats.apiRequests).toBe(targets.length);
    expect(h.provider.stats.testRequests).toBe(0);
    expect(evil.stats.apiRequests).toBe(0);
  });
});
