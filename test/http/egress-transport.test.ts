/**
 * The transport applies the egress policy on each connection attempt, to the address connected to: literals as
 * WHATWG normalised them, names on what they resolve to at that moment. A resolver the test controls stands in for
 * DNS (names that resolve to private addresses, rebinding); refused addresses are never connected to, so no traffic
 * leaves the machine.
 */
import type { LookupAddress } from 'node:dns';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EgressRefusal } from '../../src/http/egress.js';
import type { Resolver } from '../../src/http/egress-connector.js';
import { createTransport, type HttpTransport, type TransportOptions } from '../../src/http/send.js';
import { startProvider, type TestProvider } from '../support/provider.js';

let provider: TestProvider;
let port: string;
const transports: HttpTransport[] = [];

beforeAll(async () => {
  provider = await startProvider();
  provider.quirk({ apiOpen: true });
  port = new URL(provider.url).port;
});
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
  provider.reset();
  provider.quirk({ apiOpen: true });
});
afterAll(() => provider.close());

/** A resolver answering each lookup with the next list of `answers` (the last one repeats). */
function resolverOf(...answers: string[][]): Resolver & { lookups: string[] } {
  const lookups: string[] = [];
  const resolver = (hostname: string, _options: unknown, callback: (e: null, a: LookupAddress[]) => void) => {
    const answer = answers[Math.min(lookups.length, answers.length - 1)] ?? [];
    lookups.push(hostname);
    callback(
      null,
      answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
  return Object.assign(resolver, { lookups });
}

function transportWith(options: TransportOptions) {
  const denied: EgressRefusal[] = [];
  const transport = createTransport({ ...options, onEgressDenied: (reason) => denied.push(reason) });
  transports.push(transport);
  const get = (url: string, headers: Record<string, string> = {}) =>
    transport.send({ method: 'GET', url, headers, timeoutMs: 5_000 });
  return { get, denied };
}

describe('the egress policy in the transport', () => {
  it('refuses literal addresses in every spelling before connecting, naming the request and the setting', async () => {
    const { get, denied } = transportWith({ allowedNetworks: [] });
    for (const host of ['127.0.0.1', '2130706433', '0177.0.0.1', '0x7f000001', '0x7f.1', '[::ffff:127.0.0.1]']) {
      const failure = get(`http://${host}:${port}/api/echo`);
      await expect(failure, host).rejects.toMatchObject({ kind: 'permanent', code: 'egress_denied' });
      await expect(failure).rejects.toThrow(/^GET http:\/\/.*\/api\/echo: .*loopback.*EGRESS_ALLOWED_NETWORKS/);
    }
    expect(provider.stats.apiRequests).toBe(0);
    expect(denied).toEqual(Array(6).fill('loopback'));
  });

  it('refuses a name by what it resolves to, and sends once the network is allowed', async () => {
    const resolver = resolverOf(['127.0.0.1']);
    const refused = transportWith({ allowedNetworks: ['10.0.0.0/8'], resolver });
    await expect(refused.get(`http://api.example.test:${port}/api/echo`)).rejects.toThrow(
      /api\.example\.test resolves to 127\.0\.0\.1, which is loopback, not a public address/,
    );
    expect(provider.stats.apiRequests).toBe(0);

    const allowed = transportWith({ allowedNetworks: ['127.0.0.0/8'], resolver });
    expect((await allowed.get(`http://api.example.test:${port}/api/echo`)).status).toBe(200);
    expect(provider.stats.apiRequests).toBe(1);
  });

  it('decides again on each connection: a name rebound to a refused address after a first answer gains nothing', async () => {
    const resolver = resolverOf(['127.0.0.1'], ['127.0.0.2']);
    const { get, denied } = transportWith({ allowedNetworks: ['127.0.0.1/32'], resolver });
    const url = `http://rebind.example.test:${port}/api/echo`;
    // `connection: close` so that the next request opens (and resolves) a new connection.
    expect((await get(url, { connection: 'close' })).status).toBe(200);
    await expect(get(url)).rejects.toMatchObject({ code: 'egress_denied' });
    expect(resolver.lookups).toEqual(['rebind.example.test', 'rebind.example.test']);
    expect(provider.stats.apiRequests).toBe(1);
    expect(denied).toEqual(['loopback']);
  });

  it('connects only to the allowed addresses among those a name resolves to', async () => {
    // A listener on the refused address, same port: were it tried first (as happy eyeballs would), it would count.
    let refusedConnections = 0;
    const refusedAddress = createServer((socket) => {
      refusedConnections++;
      socket.destroy();
    });
    refusedAddress.listen(Number(port), '127.0.0.2');
    await once(refusedAddress, 'listening');
    try {
      const resolver = resolverOf(['127.0.0.2', '127.0.0.1']);
      const { get } = transportWith({ allowedNetworks: ['127.0.0.1/32'], resolver });
      expect((await get(`http://mixed.example.test:${port}/api/echo`)).status).toBe(200);
      expect(refusedConnections).toBe(0);
    } finally {
      refusedAddress.close();
    }
  });

  // Only addresses of this machine: were the policy broken, no packet would leave it.
  it('refuses names resolving to other forms of this machine without connecting', async () => {
    for (const address of ['0.0.0.0', '::', '::1', '::ffff:127.0.0.1', '127.0.0.53']) {
      const { get } = transportWith({ allowedNetworks: [], resolver: resolverOf([address]) });
      await expect(get(`http://internal.example.test:${port}/api/echo`), address).rejects.toMatchObject({
        code: 'egress_denied',
      });
    }
    expect(provider.stats.apiRequests).toBe(0);
  });

  it('keeps plain http: to loopback addresses, even where the policy allows another network', async () => {
    const resolver = resolverOf(['0.0.0.0']);
    const { get, denied } = transportWith({ allowedNetworks: ['0.0.0.0/8'], resolver });
    await expect(get(`http://unspecified.example.test:${port}/api/echo`)).rejects.toThrow(
      /plain http: may only reach loopback/,
    );
    expect(denied).toEqual(['plain_http']);
    expect(provider.stats.apiRequests).toBe(0);
  });

  it('allows loopback by default (the non-production default), so local providers work', async () => {
    const transport = createTransport();
    transports.push(transport);
    const answer = await transport.send({ method: 'GET', url: `${provider.url}/api/echo`, headers: {} });
    expect(answer.status).toBe(200);
  });
});
