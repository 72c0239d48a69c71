/**
 * Transport keys: envelopes sealed with the public key open with the private ring only in the place they were sealed
 * for; envelopes built by hand from the documented format (plain libsodium, no project code) open too.
 */
import sodium from 'libsodium-wrappers';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { parsePublicKey, sealForTransport, TransportKeyRing } from '../../src/secrets/transport.js';

const pair = TransportKeyRing.generate('t1');
const ring = TransportKeyRing.parse(pair.privateEntry);
const place = { connector: 'acme', field: 'client_secret' };

async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (error) {
    return isAppError(error) ? `${error.kind}:${error.code}` : String(error);
  }
  return 'opened';
}

/** What a producer in another language does, step by step from README "Transport keys". */
async function handBuilt(publicKey: string, connector: string, field: string, value: string): Promise<string> {
  await sodium.ready;
  const [id, key] = publicKey.split(':') as [string, string];
  const plaintext = JSON.stringify({ connector, field, value });
  const box = sodium.crypto_box_seal(new TextEncoder().encode(plaintext), Buffer.from(key, 'base64'));
  // As Python's base64.urlsafe_b64encode writes it: URL-safe alphabet, with its `=` padding.
  const urlSafe = Buffer.from(box).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  return `transport:v1:${id}:${urlSafe}`;
}

describe('transport keys', () => {
  it('a value sealed with the public key opens with the private ring in the same place', async () => {
    const envelope = await sealForTransport(parsePublicKey(pair.publicKey), place, 'shh-%:/');
    expect(envelope).toMatch(/^transport:v1:t1:[A-Za-z0-9_-]+$/);
    expect(envelope).not.toContain('shh');
    expect(await ring.open(envelope, place)).toBe('shh-%:/');
    expect(ring.publicKey).toBe(pair.publicKey);
  });

  it('a hand-built envelope from the documented format opens, padded or not', async () => {
    for (const value of ['by-hand', 'by-hand-1', 'by-hand-12']) {
      const envelope = await handBuilt(pair.publicKey, 'acme', 'client_secret', value);
      expect(await ring.open(envelope, place)).toBe(value);
      expect(await ring.open(envelope.replace(/=+$/, ''), place)).toBe(value);
    }
  });

  it('a value presented in another field or connector, altered, or under an unknown key fails permanently', async () => {
    const envelope = await sealForTransport(parsePublicKey(pair.publicKey), place, 'shh');
    expect(await codeOf(() => ring.open(envelope, { ...place, field: 'client_id' }))).toBe(
      'permanent:invalid_sealed_value',
    );
    expect(await codeOf(() => ring.open(envelope, { ...place, connector: 'other' }))).toBe(
      'permanent:invalid_sealed_value',
    );
    // One character of the box changed, in the middle: never a padding bit, and never the same character again.
    const at = Math.floor(envelope.length * 0.75);
    const altered = `${envelope.slice(0, at)}${envelope[at] === 'A' ? 'B' : 'A'}${envelope.slice(at + 1)}`;
    expect(await codeOf(() => ring.open(altered, place))).toBe('permanent:invalid_sealed_value');
    const other = TransportKeyRing.generate('t1');
    const foreign = await sealForTransport(parsePublicKey(other.publicKey), place, 'shh');
    expect(await codeOf(() => ring.open(foreign, place))).toBe('permanent:invalid_sealed_value');
    const unknownId = await sealForTransport(parsePublicKey(TransportKeyRing.generate('t9').publicKey), place, 'shh');
    await expect(ring.open(unknownId, place)).rejects.toThrow(/"t9", which is not in TRANSPORT_PRIVATE_KEYS \(t1\)/);
    expect(await codeOf(() => ring.open('transport:v1:t1:short', place))).toBe('permanent:invalid_sealed_value');
  });

  it('a ring keeps opening values sealed with an older key; the first key is the public one', async () => {
    const newer = TransportKeyRing.generate('t2');
    const rotated = TransportKeyRing.parse(`${newer.privateEntry},${pair.privateEntry}`);
    const old = await sealForTransport(parsePublicKey(pair.publicKey), place, 'old');
    expect(await rotated.open(old, place)).toBe('old');
    expect(rotated.publicKey).toBe(newer.publicKey);
    expect(rotated.keyIds).toEqual(['t2', 't1']);
  });

  it('a bad TRANSPORT_PRIVATE_KEYS names the entry and the fix without echoing key material', () => {
    const material = pair.privateEntry.slice(3);
    for (const [spec, message] of [
      ['', 'is empty'],
      ['nokey', 'entry 1 has no key id'],
      [`t1:${material.slice(4)}`, 'key "t1" is'],
      [`${pair.privateEntry},${pair.privateEntry}`, 'key id "t1" appears twice'],
    ] as const) {
      expect(() => TransportKeyRing.parse(spec)).toThrow(message);
      try {
        TransportKeyRing.parse(spec);
      } catch (error) {
        expect((error as Error).message).toContain('oauth-cc keys transport');
        if (material.length > 8) expect((error as Error).message).not.toContain(material.slice(4, 20));
      }
    }
  });
});
