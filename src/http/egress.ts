/**
 * The egress policy: which addresses an outbound request may connect to. Public addresses (globally routable
 * unicast) always; any other only when it lies in a network the operator allows (`EGRESS_ALLOWED_NETWORKS`). The
 * transport asks it on each connection attempt, about the address actually connected to (src/http/dispatcher.ts),
 * so a name that resolves to a private address, a name that resolves differently after a check (DNS rebinding) or
 * an IPv4 address in another spelling (`2130706433`, `0x7f.1`, `[::ffff:7f00:1]`) gains nothing.
 *
 * Range math is ipaddr.js's; the tables of what is not public are ours, so that each refusal can say which class
 * the address is in.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Network = [Address, number];

/** The classes of addresses that are not public; also the `class` label of the refusal metric. */
export const ADDRESS_CLASSES = [
  'unspecified',
  'loopback',
  'private',
  'link_local',
  'carrier_grade_nat',
  'unique_local',
  'site_local',
  'multicast',
  'broadcast',
  'benchmarking',
  'documentation',
  'reserved',
] as const;
export type AddressClass = (typeof ADDRESS_CLASSES)[number];
/** Why a connection attempt was refused: its address's class, or plain http: to an address that is not loopback. */
export type EgressRefusal = AddressClass | 'plain_http';

const DESCRIPTIONS: Record<AddressClass, string> = {
  unspecified: 'unspecified ("this network")',
  loopback: 'loopback',
  private: 'private (RFC 1918)',
  link_local: 'link-local (cloud metadata included)',
  carrier_grade_nat: 'carrier-grade NAT (100.64.0.0/10)',
  unique_local: 'unique local (fc00::/7)',
  site_local: 'site-local (fec0::/10)',
  multicast: 'multicast',
  broadcast: 'broadcast',
  benchmarking: 'benchmarking',
  documentation: 'documentation',
  reserved: 'reserved',
};

const cidrs = (...list: string[]): Network[] => list.map((cidr) => ipaddr.parseCIDR(cidr));

// Key order matters: subnetMatch answers the first class that matches (broadcast lies inside 240.0.0.0/4).
const IPV4_CLASSES: Partial<Record<AddressClass, Network[]>> = {
  unspecified: cidrs('0.0.0.0/8'),
  loopback: cidrs('127.0.0.0/8'),
  private: cidrs('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'),
  link_local: cidrs('169.254.0.0/16'),
  carrier_grade_nat: cidrs('100.64.0.0/10'),
  benchmarking: cidrs('198.18.0.0/15'),
  documentation: cidrs('192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'),
  multicast: cidrs('224.0.0.0/4'),
  broadcast: cidrs('255.255.255.255/32'),
  // IETF protocol assignments, the retired 6to4 relay anycast, and the former class E.
  reserved: cidrs('192.0.0.0/24', '192.88.99.0/24', '240.0.0.0/4'),
};

// Benchmarking (2001:2::/48) lies inside 2001::/23, so it comes first.
const IPV6_CLASSES: Partial<Record<AddressClass, Network[]>> = {
  unspecified: cidrs('::/128'),
  loopback: cidrs('::1/128'),
  link_local: cidrs('fe80::/10'),
  site_local: cidrs('fec0::/10'),
  unique_local: cidrs('fc00::/7'),
  multicast: cidrs('ff00::/8'),
  benchmarking: cidrs('2001:2::/48'),
  documentation: cidrs('2001:db8::/32', '3fff::/20'),
  // IETF protocol assignments (Teredo included), discard-only, local-use NAT64.
  reserved: cidrs('2001::/23', '100::/64', '64:ff9b:1::/48'),
};

/** Only 2000::/3 is allocated as global unicast; anything else outside the tables above is reserved. */
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

/**
 * IPv6 forms that carry an IPv4 address: they reach (or claim to) that IPv4 address, and take its class. Only an
 * IPv4-mapped address is connected to by this machine as that very IPv4 address (`direct`): it alone is allowed by
 * an IPv4 network of EGRESS_ALLOWED_NETWORKS; the others go through translators and tunnels elsewhere, so they are
 * allowed only by an IPv6 network that contains them.
 */
const EMBEDDINGS: Array<{ name: string; network: Network; ipv4At: number; direct: boolean }> = [
  { name: 'IPv4-mapped', network: ipaddr.parseCIDR('::ffff:0:0/96'), ipv4At: 12, direct: true },
  { name: 'IPv4-translated', network: ipaddr.parseCIDR('::ffff:0:0:0/96'), ipv4At: 12, direct: false },
  { name: 'NAT64', network: ipaddr.parseCIDR('64:ff9b::/96'), ipv4At: 12, direct: false },
  { name: '6to4', network: ipaddr.parseCIDR('2002::/16'), ipv4At: 2, direct: false },
  { name: 'IPv4-compatible', network: ipaddr.parseCIDR('::/96'), ipv4At: 12, direct: false },
];

export interface Classification {
  /** The class of a non-public address; undefined for a public one. */
  class: AddressClass | undefined;
  /** For an IPv6 form of an IPv4 address: the form and the IPv4 address, such as `IPv4-mapped 127.0.0.1`. */
  embedded?: { form: string; ipv4: ipaddr.IPv4; direct: boolean };
}

function classOf(address: Address): AddressClass | undefined {
  const table = address.kind() === 'ipv4' ? IPV4_CLASSES : IPV6_CLASSES;
  const found = ipaddr.subnetMatch(address, table as Record<string, Network[]>, 'public');
  if (found !== 'public') return found as AddressClass;
  if (address.kind() === 'ipv6' && !address.match(IPV6_GLOBAL_UNICAST)) return 'reserved';
  return undefined;
}

/** `::` and `::1`: IPv6's own unspecified and loopback addresses, although inside ::/96. */
const IPV6_OWN = ipaddr.parseCIDR('::/127');

function embeddedIn(address: ipaddr.IPv6): Classification['embedded'] {
  if (address.match(IPV6_OWN)) return undefined;
  for (const { name, network, ipv4At, direct } of EMBEDDINGS) {
    if (address.match(network)) {
      const bytes = address.toByteArray().slice(ipv4At, ipv4At + 4);
      return { form: name, ipv4: new ipaddr.IPv4(bytes), direct };
    }
  }
  return undefined;
}

/**
 * ipaddr.js reads every `::a.b.c.d` as IPv4-mapped, but DNS answers write IPv4-compatible addresses so too: WHATWG's
 * serialisation writes the groups in hex, as they are.
 */
function parseAddress(text: string): Address {
  if (text.includes(':') && text.includes('.')) return ipaddr.parse(new URL(`http://[${text}]/`).hostname.slice(1, -1));
  return ipaddr.parse(text);
}

/**
 * The class of an IP address in canonical form (as `node:net`, DNS answers and WHATWG URLs write them, without
 * brackets). IPv6 forms of an IPv4 address take the class of that IPv4 address.
 */
export function classifyAddress(text: string): Classification {
  if (isIP(text) === 0) throw new Error(`not an IP address: ${text}`);
  const address = parseAddress(text);
  const embedded = address.kind() === 'ipv6' ? embeddedIn(address as ipaddr.IPv6) : undefined;
  if (embedded) return { class: classOf(embedded.ipv4), embedded };
  return { class: classOf(address) };
}

/** `loopback`, or `loopback (IPv4-mapped 127.0.0.1)`. */
export function describeClass(classification: Classification): string {
  const name = classification.class ? DESCRIPTIONS[classification.class] : 'public';
  const { embedded } = classification;
  return embedded ? `${name} (${embedded.form} ${embedded.ipv4.toString()})` : name;
}

/** True for an address of this machine's loopback: 127.0.0.0/8, `::1`, or an IPv4-mapped form of 127.0.0.0/8. */
export function isLoopbackAddress(text: string): boolean {
  if (isIP(text) === 0) return false;
  const { class: found, embedded } = classifyAddress(text);
  return found === 'loopback' && (embedded?.direct ?? true);
}

/**
 * Parses `EGRESS_ALLOWED_NETWORKS`: CIDRs separated by commas, such as `10.0.0.0/8,fd00::/8`.
 * @throws Error naming the position of the first entry that is not a CIDR (never its text: settings are not echoed)
 */
export function parseNetworks(text: string): string[] {
  const entries = text.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const [address = '', bits, ...rest] = entry.split('/');
    const valid = rest.length === 0 && bits !== undefined && /^\d{1,3}$/.test(bits) && isIP(address) !== 0;
    if (!valid || !ipaddr.isValidCIDR(entry)) {
      throw new Error(
        `entry ${index + 1} is not a network: write CIDRs separated by commas, such as 10.0.0.0/8,fd00::/8`,
      );
    }
  });
  return entries;
}

/** What may be reached outside production by default: the machine itself (a local provider, the demo). */
export const LOOPBACK_NETWORKS: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** What a connection attempt may do; see the module comment. */
export class EgressPolicy {
  private readonly networks: Network[];

  /** @param allowedNetworks CIDRs (already checked by `parseNetworks`) reachable although not public. */
  constructor(readonly allowedNetworks: readonly string[]) {
    this.networks = allowedNetworks.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  private allows(address: Address, classification: Classification): boolean {
    const { embedded } = classification;
    const candidates = embedded?.direct ? [address, embedded.ipv4] : [address];
    return candidates.some((candidate) =>
      this.networks.some(([network, bits]) => network.kind() === candidate.kind() && candidate.match(network, bits)),
    );
  }

  /**
   * Why connecting to `address` (what `host` resolved to) for a request of `protocol` is refused, or undefined when
   * it is allowed. Plain `http:` may reach loopback addresses only.
   */
  refusal(host: string, address: string, protocol: string): { reason: EgressRefusal; error: AppError } | undefined {
    const classification = classifyAddress(address);
    const named = host === address ? address : `${host} resolves to ${address}, which`;
    const isText = `${named} is ${describeClass(classification)}`;
    const allowed = classification.class === undefined || this.allows(parseAddress(address), classification);
    if (!allowed) {
      const suggestion = `${address}/${address.includes(':') ? 128 : 32}`;
      const message =
        `${isText}, not a public address: refused to connect. If it is meant to be reached, ` +
        `add its network to EGRESS_ALLOWED_NETWORKS (such as ${suggestion})`;
      return { reason: classification.class as AddressClass, error: denied(message) };
    }
    if (protocol === 'http:' && !isLoopbackAddress(address)) {
      const message = `${isText}: plain http: may only reach loopback addresses; use https:`;
      return { reason: 'plain_http', error: denied(message) };
    }
    return undefined;
  }
}

const denied = (message: string) => new AppError('permanent', 'egress_denied', message);
