import { describe, expect, it } from 'vitest';
import { isTokenDue, renewalTime } from '../../src/connections/token.js';

const start = new Date('2026-01-01T00:00:00Z');
const now = start.getTime();
const at = (seconds: number) => new Date(now + seconds * 1000);

describe('when a token is due', () => {
  it('renews at expiry minus the smaller of the margin and the ratio of its lifetime', () => {
    const renewal = { marginSeconds: 300, marginRatio: 0.5 };
    expect(renewalTime(at(3600), start, renewal)).toEqual(at(3300));
    expect(renewalTime(at(20), start, renewal)).toEqual(at(10));
    expect(renewalTime(null, start, renewal)).toBeNull();
  });

  it('for the scheduled renewal, from renewAt on', () => {
    const token = { accessToken: 'sealed', renewAt: at(-1), expiresAt: at(9) };
    expect(isTokenDue(token, now)).toBe(true);
    expect(isTokenDue({ ...token, renewAt: at(1) }, now)).toBe(false);
  });

  it('before a use, only halfway from renewAt to expiry, so calls leave the renewal to its job unless it is late', () => {
    const token = { accessToken: 'sealed', renewAt: at(-1), expiresAt: at(9) };
    expect(isTokenDue(token, now, 'use')).toBe(false);
    expect(isTokenDue({ ...token, renewAt: at(-6), expiresAt: at(4) }, now, 'use')).toBe(true);
    expect(isTokenDue({ ...token, expiresAt: at(-1) }, now, 'use')).toBe(true);
  });

  it('always without a token, and never by time without an expiry', () => {
    expect(isTokenDue({ accessToken: null, renewAt: null, expiresAt: null }, now, 'use')).toBe(true);
    expect(isTokenDue({ accessToken: 'sealed', renewAt: null, expiresAt: null }, now)).toBe(false);
    expect(isTokenDue({ accessToken: 'sealed', renewAt: null, expiresAt: null }, now, 'use')).toBe(false);
  });
});
