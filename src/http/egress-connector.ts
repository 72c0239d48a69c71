/**
 * An undici connector that applies the egress policy to every connection attempt, before any byte is sent: an IP
 * literal is judged as it is (WHATWG has already normalised it), a name on each address it resolves to, in the
 * lookup that the socket then connects with. Addresses the policy refuses are dropped from the lookup's answer, so a
 * socket can only ever connect to an address that was checked; a name left with none fails with `egress_denied`.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import type { EgressPolicy, EgressRefusal } from './egress.js';

/** Resolves a name to all its addresses (`dns.lookup` with `all: true`). */
export type Resolver = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface EgressConnectorOptions {
  policy: EgressPolicy;
  /** Told of each refused connection attempt (the metrics count them). */
  onDenied?: ((reason: EgressRefusal) => void) | undefined;
  /** @default node:dns lookup */
  resolver?: Resolver | undefined;
}

/** The policy's lookup for one protocol: resolves, drops refused addresses, fails when none is left. */
function checkedLookup(protocol: string, options: EgressConnectorOptions): LookupFunction {
  const resolve = options.resolver ?? (dnsLookup as Resolver);
  return (hostname: string, lookupOptions: LookupOptions, callback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter((entry) => !options.policy.refusal(hostname, entry.address, protocol));
      const first = allowed[0];
      if (!first) {
        const refused = addresses[0] && options.policy.refusal(hostname, addresses[0].address, protocol);
        if (refused) options.onDenied?.(refused.reason);
        const failure = refused?.error ?? Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' });
        return callback(failure, '', 0);
      }
      // With `all` (Node's happy eyeballs) every allowed address may be tried; without it, the first one.
      if (lookupOptions.all) return callback(null, allowed);
      return callback(null, first.address, first.family);
    });
  };
}

/** The `connect` option of an undici Agent: `buildOptions` (timeouts, TLS) plus the egress policy. */
export function egressConnector(
  buildOptions: buildConnector.BuildOptions,
  options: EgressConnectorOptions,
): buildConnector.connector {
  const byProtocol = {
    'https:': buildConnector({ ...buildOptions, lookup: checkedLookup('https:', options) }),
    'http:': buildConnector({ ...buildOptions, lookup: checkedLookup('http:', options) }),
  };
  return (connectOptions, callback) => {
    const { hostname, protocol } = connectOptions;
    // Sockets skip the lookup for an IP literal: it is judged here.
    if (isIP(hostname) !== 0) {
      const refused = options.policy.refusal(hostname, hostname, protocol);
      if (refused) {
        options.onDenied?.(refused.reason);
        return callback(refused.error, null);
      }
    }
    const connect = protocol === 'http:' ? byProtocol['http:'] : byProtocol['https:'];
    return connect(connectOptions, callback);
  };
}
