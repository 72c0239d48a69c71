import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  describeClass,
  EgressPolicy,
  isLoopbackAddress,
  parseNetworks,
} from '../../src/http/egress.js';

/** Addresses of every class that is not public, IPv4 and IPv6, and the IPv6 forms that carry an IPv4 address. */
const NOT_PUBLIC: Array<[string, string]> = [
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['127.0.0.1', 'loopback'],
  ['127.255.0.9', 'loopback'],
  ['::1', 'loopback'],
  ['10.0.0.5', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link_local'],
  ['fe80::1', 'link_local'],
  ['100.64.0.1', 'carrier_grade_nat'],
  ['100.127.255.254', 'carrier_grade_nat'],
  ['fc00::1', 'unique_local'],
  ['fd12:3456::1', 'unique_local'],
  ['fec0::1', 'site_local'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['2001:2::1', 'benchmarking'],
  ['192.0.2.1', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['192.0.0.8', 'reserved'],
  ['192.88.99.1', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['2001::1', 'reserved'],
  ['100::1', 'reserved'],
  ['64:ff9b:1::a00:1', 'reserved'],
  ['4000::1', 'reserved'],
  // IPv6 forms of IPv4 addresses take the class of the IPv4 address.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:169.254.169.254', 'link_local'],
  ['::ffff:0:10.0.0.1', 'private'],
  ['::127.0.0.1', 'loopback'],
  ['::10.1.2.3', 'private'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::a9fe:a9fe', 'link_local'],
  ['2002:7f00:1::', 'loopback'],
  ['2002:c0a8:101::1', 'private'],
];

const PUBLIC = [
  '8.8.8.8',
  '1.1.1.1',
  '100.63.255.255',
  '100.128.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '198.17.255.255',
  '198.20.0.0',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '2a00:1450:4001::200e',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

describe('classifyAddress', () => {
  for (const [address, expected] of NOT_PUBLIC) {
    it(`${address} is ${expected}`, () => {
      expect(classifyAddress(address).class).toBe(expected);
    });
  }

  it('finds every public address public', () => {
    for (const address of PUBLIC) expect(classifyAddress(address).class, address).toBeUndefined();
  });

  it('tells IPv4-compatible from IPv4-mapped in dotted form (as DNS answers write both)', () => {
    expect(describeClass(classifyAddress('::127.0.0.1'))).toBe('loopback (IPv4-compatible 127.0.0.1)');
    expect(describeClass(classifyAddress('::ffff:127.0.0.1'))).toBe('loopback (IPv4-mapped 127.0.0.1)');
    expect(new EgressPolicy(['127.0.0.0/8']).refusal('h', '::127.0.0.1', 'https:')?.reason).toBe('loopback');
  });

  it('names the IPv4 address inside an IPv6 form', () => {
    expect(describeClass(classifyAddress('::ffff:7f00:1'))).toBe('loopback (IPv4-mapped 127.0.0.1)');
    expect(describeClass(classifyAddress('64:ff9b::a9fe:a9fe'))).toBe(
      'link-local (cloud metadata included) (NAT64 169.254.169.254)',
    );
    expect(describeClass(classifyAddress('2002:a00:1::'))).toBe('private (RFC 1918) (6to4 10.0.0.1)');
  });

  it('refuses what is not an address in canonical form (other spellings are for the URL parser to normalise)', () => {
    expect(() => classifyAddress('localhost')).toThrow(/not an IP address/);
    expect(() => classifyAddress('0x7f.1')).toThrow(/not an IP address/);
    expect(() => classifyAddress('2130706433')).toThrow(/not an IP address/);
  });

  it('knows this machine’s loopback, IPv4-mapped included; translated and tunnelled forms lead elsewhere', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopbackAddress(address), address).toBe(true);
    }
    for (const address of [
      'localhost',
      '10.0.0.1',
      '::',
      '8.8.8.8',
      '64:ff9b::7f00:1',
      '2002:7f00:1::',
      '::127.0.0.1',
    ]) {
      expect(isLoopbackAddress(address), address).toBe(false);
    }
  });
});

describe('WHATWG URL parsing hands the classifier canonical addresses', () => {
  const hostOf = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, '');
  it.each([
    ['http://2130706433/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'],
    ['http://0x7f000001/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://127.1/', 'loopback'],
    ['http://0251.0376.0251.0376/', 'link_local'],
    ['http://[::ffff:169.254.169.254]/', 'link_local'],
    ['http://0/', 'unspecified'],
  ])('%s is %s', (url, expected) => {
    expect(classifyAddress(hostOf(url)).class).toBe(expected);
  });
});

describe('EgressPolicy', () => {
  it('refuses what is not public, naming host, address, class and the setting', () => {
    const refused = new EgressPolicy([]).refusal('api.example.test', '10.0.0.5', 'https:');
    expect(refused?.reason).toBe('private');
    expect(refused?.error).toMatchObject({ kind: 'permanent', code: 'egress_denied' });
    expect(refused?.error.message).toBe(
      'api.example.test resolves to 10.0.0.5, which is private (RFC 1918), not a public address: refused to connect. ' +
        'If it is meant to be reached, add its network to EGRESS_ALLOWED_NETWORKS (such as 10.0.0.5/32)',
    );
    expect(new EgressPolicy([]).refusal('::1', '::1', 'https:')?.error.message).toMatch(
      /^::1 is loopback, .*\(such as ::1\/128\)$/,
    );
  });

  it('allows public addresses, and others in an allowed network, IPv6 forms of IPv4 included', () => {
    const policy = new EgressPolicy(['10.0.0.0/8', 'fd00::/8', '127.0.0.0/8']);
    expect(policy.refusal('h', '8.8.8.8', 'https:')).toBeUndefined();
    expect(policy.refusal('h', '10.9.9.9', 'https:')).toBeUndefined();
    expect(policy.refusal('h', 'fd00::5', 'https:')).toBeUndefined();
    expect(policy.refusal('h', '::ffff:10.1.1.1', 'https:')).toBeUndefined();
    expect(policy.refusal('h', '::ffff:127.0.0.1', 'http:')).toBeUndefined();
    expect(policy.refusal('h', '11.0.0.1', 'https:')).toBeUndefined();
    expect(policy.refusal('h', '172.16.0.1', 'https:')?.reason).toBe('private');
    // Only the IPv4-mapped form is this machine connecting to that IPv4 address; NAT64 and 6to4 go elsewhere.
    expect(policy.refusal('h', '64:ff9b::a00:1', 'https:')?.reason).toBe('private');
    expect(policy.refusal('h', '2002:7f00:1::', 'https:')?.reason).toBe('loopback');
    expect(new EgressPolicy(['64:ff9b::/96']).refusal('h', '64:ff9b::a00:1', 'https:')).toBeUndefined();
    expect(policy.refusal('h', 'fc00::1', 'https:')?.reason).toBe('unique_local');
  });

  it('lets plain http: reach loopback addresses only, and only when loopback is allowed', () => {
    expect(new EgressPolicy(['10.0.0.0/8']).refusal('h', '10.0.0.1', 'http:')).toMatchObject({
      reason: 'plain_http',
      error: { code: 'egress_denied', message: expect.stringMatching(/plain http: may only reach loopback/) },
    });
    expect(new EgressPolicy([]).refusal('h', '8.8.8.8', 'http:')?.reason).toBe('plain_http');
    expect(new EgressPolicy([]).refusal('localhost', '127.0.0.1', 'http:')?.reason).toBe('loopback');
    expect(new EgressPolicy(['127.0.0.1/32']).refusal('localhost', '127.0.0.1', 'http:')).toBeUndefined();
    expect(new EgressPolicy(['64:ff9b::/96']).refusal('h', '64:ff9b::7f00:1', 'http:')?.reason).toBe('plain_http');
  });
});

describe('parseNetworks', () => {
  it('reads CIDRs separated by commas, IPv4 and IPv6', () => {
    expect(parseNetworks('10.0.0.0/8, fd00::/8,127.0.0.1/32')).toEqual(['10.0.0.0/8', 'fd00::/8', '127.0.0.1/32']);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '::1/129', 'localhost/8', '0x0a.0.0.0/8', '10/8', '10.0.0.0/8/1', '10.0.0.0/x'])(
    'refuses %s, naming its position',
    (value) => {
      expect(() => parseNetworks(`127.0.0.0/8,${value}`)).toThrow(
        'entry 2 is not a network: write CIDRs separated by commas, such as 10.0.0.0/8,fd00::/8',
      );
    },
  );

  it('refuses an empty entry (a stray comma)', () => {
    expect(() => parseNetworks('10.0.0.0/8,')).toThrow('entry 2 is not a network');
  });
});
