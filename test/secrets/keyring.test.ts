import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { KeyRing } from '../../src/secrets/keyring.js';
import { jobFieldPlace, secretPlace, tokenPlace } from '../../src/secrets/places.js';
import { sealLegacy } from '../support/sealed.js';

const key = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const k1 = key('k1');
const k2 = key('k2');
const PLACE = secretPlace('connection-1', 'client_secret');

/** The error `fn` throws, so that tests can assert on its fields. */
function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected an error');
}

/** Replaces the character at `index` with another character of the base64url alphabet. */
function flipAt(value: string, index: number): string {
  const replacement = value[index] === 'A' ? 'B' : 'A';
  return value.slice(0, index) + replacement + value.slice(index + 1);
}

describe('KeyRing', () => {
  it('when a value is sealed, it opens to the same text, and the sealed form names the key and hides the text', () => {
    const ring = KeyRing.parse(k1);
    for (const text of ['s3cr3t-value', '', 'ünïcødé ✓ 🔑', 'x'.repeat(10_000)]) {
      const sealed = ring.seal(text, PLACE);
      expect(sealed).toMatch(/^sealed:v3:k1:[A-Za-z0-9_-]{32}:[A-Za-z0-9_-]+$/);
      if (text) expect(sealed).not.toContain(text);
      expect(ring.isSealed(sealed)).toBe(true);
      expect(ring.open(sealed, PLACE)).toBe(text);
    }
  });

  it('when the same text is sealed twice, it gets two different sealed forms (random nonce)', () => {
    const ring = KeyRing.parse(k1);
    expect(ring.seal('same', PLACE)).not.toBe(ring.seal('same', PLACE));
  });

  it('when a new key is put first, it seals with the new key and still opens values of the old one', () => {
    const old = KeyRing.parse(k1);
    const sealedOld = old.seal('old secret', PLACE);
    const rotated = KeyRing.parse(`${k2},${k1}`);
    expect(rotated.currentKeyId).toBe('k2');
    expect(rotated.keyIds).toEqual(['k2', 'k1']);
    expect(rotated.open(sealedOld, PLACE)).toBe('old secret');
    expect(rotated.isCurrent(sealedOld)).toBe(false);
    const resealed = rotated.reseal(sealedOld, PLACE);
    expect(resealed.startsWith('sealed:v3:k2:')).toBe(true);
    expect(rotated.isCurrent(resealed)).toBe(true);
    expect(KeyRing.parse(k2).open(resealed, PLACE)).toBe('old secret');
  });

  it('when any part of a sealed value is altered, opening fails with a clear error and never returns garbage', () => {
    const ring = KeyRing.parse(`${k1},${k2}`);
    const sealed = ring.seal('the secret', PLACE);
    const [, , , nonce = '', body = ''] = sealed.split(':');
    const nonceStart = 'sealed:v3:k1:'.length;
    const bodyStart = nonceStart + nonce.length + 1;
    const altered = {
      nonce: flipAt(sealed, nonceStart + 3),
      ciphertext: flipAt(sealed, bodyStart + 1),
      tag: flipAt(sealed, bodyStart + body.length - 5),
      // k1 → k2: a key that exists in the ring, so only the additional data binding can catch it.
      keyId: sealed.replace('sealed:v3:k1:', 'sealed:v3:k2:'),
    };
    for (const [part, value] of Object.entries(altered)) {
      const error = thrown(() => ring.open(value, PLACE));
      expect(error.kind, part).toBe('permanent');
      expect(error.code, part).toBe('invalid_sealed_value');
      expect(error.message, part).toMatch(/does not open here with key id "k[12]"/);
      expect(error.message, part).not.toContain('the secret');
    }
  });

  it('when a value was sealed with a key the ring does not hold, opening names that key id', () => {
    const sealed = KeyRing.parse(key('k0')).seal('x', PLACE);
    const error = thrown(() => KeyRing.parse(`${k2},${k1}`).open(sealed, PLACE));
    expect(error.code).toBe('sealed_value_invalid');
    expect(error.message).toContain('"k0"');
    expect(error.message).toContain('not in ENCRYPTION_KEYS (k2, k1)');
  });

  it('when the value is not of the sealed form, opening says so without echoing it', () => {
    const ring = KeyRing.parse(k1);
    for (const value of [
      'plain-secret',
      'sealed:v3:k1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA',
      `sealed:v2:k1:${'A'.repeat(32)}:AAAAAAAAAAAAAAAAAAAAAA`,
      `sealed:v4:k1:${'A'.repeat(32)}:AAAAAAAAAAAAAAAAAAAAAA`,
      'sealed:v1:k1:short:x',
    ]) {
      const error = thrown(() => ring.open(value, PLACE));
      expect(error.code).toBe('sealed_value_invalid');
      expect(error.message).toContain('malformed');
      expect(error.message).not.toContain(value);
      expect(ring.isSealed(value)).toBe(false);
      expect(ring.isCurrent(value)).toBe(false);
    }
    expect(ring.isSealed(42)).toBe(false);
    expect(ring.isSealed(null)).toBe(false);
  });

  it('when ENCRYPTION_KEYS is malformed, parsing fails with a message naming ENCRYPTION_KEYS and never the key', () => {
    const short = randomBytes(16).toString('base64');
    const cases: [string, RegExp][] = [
      ['', /is empty/],
      [` , `, /is empty/],
      [`k1:${short}`, /key "k1" is 16 bytes, not 32/],
      [`${k1},${key('k1')}`, /key id "k1" appears twice/],
      ['k1:not*base64!', /key "k1" is not valid base64/],
      [randomBytes(32).toString('base64'), /entry 1 has no key id|invalid key id/],
      [
        `k1:${randomBytes(32).toString('base64')},bad id:${randomBytes(32).toString('base64')}`,
        /entry 2 has an invalid key id/,
      ],
    ];
    for (const [spec, problem] of cases) {
      const error = thrown(() => KeyRing.parse(spec));
      expect(error.kind).toBe('invalid_input');
      expect(error.code).toBe('invalid_config');
      expect(error.message).toMatch(/^ENCRYPTION_KEYS: /);
      expect(error.message).toMatch(problem);
      expect(error.message).toContain('oauth-cc keys generate');
      expect(error.message).not.toContain(short);
    }
  });

  it('when keys are given in base64url or with spaces around entries, they are accepted', () => {
    const bytes = randomBytes(32);
    const ring = KeyRing.parse(` a_1:${bytes.toString('base64url')} , b-2:${bytes.toString('base64')} `);
    expect(ring.keyIds).toEqual(['a_1', 'b-2']);
  });

  it('when a key is generated, it is a valid ENCRYPTION_KEYS entry with a fresh 32-byte key', () => {
    const generated = KeyRing.generateKey();
    expect(generated).toMatch(/^k\d+:[A-Za-z0-9+/]{43}=$/);
    expect(KeyRing.generateKey('mine')).toMatch(/^mine:/);
    expect(KeyRing.generateKey('mine')).not.toBe(KeyRing.generateKey('mine'));
    const ring = KeyRing.parse(`${KeyRing.generateKey('new')},${generated}`);
    expect(ring.open(ring.seal('v', PLACE), PLACE)).toBe('v');
    expect(() => KeyRing.generateKey('bad:id')).toThrow(/ENCRYPTION_KEYS/);
  });

  it('when a value is presented in another place than it was sealed for, it does not open: invalid_sealed_value', () => {
    const ring = KeyRing.parse(k1);
    const sealed = ring.seal('the secret', secretPlace('connection-1', 'client_secret'));
    for (const elsewhere of [
      secretPlace('connection-2', 'client_secret'),
      secretPlace('connection-1', 'client_id'),
      tokenPlace('connection-1', 'access_token'),
      jobFieldPlace('acme', 'client_secret'),
    ]) {
      const error = thrown(() => ring.open(sealed, elsewhere));
      expect(error.kind).toBe('permanent');
      expect(error.code).toBe('invalid_sealed_value');
      expect(error.message).not.toContain('the secret');
    }
  });

  it('when a value is of the earlier, unbound format, it opens anywhere, is not current, and reseals bound', () => {
    const ring = KeyRing.parse(k1);
    const legacy = sealLegacy(k1, 'from before');
    expect(ring.isSealed(legacy)).toBe(true);
    expect(ring.isLegacy(legacy)).toBe(true);
    expect(ring.isCurrent(legacy)).toBe(false);
    expect(ring.open(legacy, PLACE)).toBe('from before');
    expect(ring.open(legacy, jobFieldPlace('acme', 'client_id'))).toBe('from before');
    const bound = ring.reseal(legacy, PLACE);
    expect(ring.isCurrent(bound)).toBe(true);
    expect(ring.isLegacy(bound)).toBe(false);
    expect(() => ring.open(bound, secretPlace('connection-2', 'client_secret'))).toThrow(/does not open here/);
    const altered = legacy.replace(/.$/, legacy.endsWith('A') ? 'B' : 'A');
    expect(thrown(() => ring.open(altered, PLACE)).code).toBe('sealed_value_invalid');
  });

  it('when a value is sealed by the documented v3 format with libsodium alone, the ring opens it', () => {
    const [id, material] = k1.split(':') as [string, string];
    // The cipher's key: HKDF-SHA256 of the entry, empty salt, info "oauth-cc-worker sealed:v3", 32 bytes.
    const derived = new Uint8Array(
      hkdfSync('sha256', Buffer.from(material, 'base64'), Buffer.alloc(0), 'oauth-cc-worker sealed:v3', 32),
    );
    const nonce = randomBytes(24);
    // Additional data: `sealed:v3:<keyId>`, a newline, and the place as the JSON array of its parts.
    const aad = `sealed:v3:${id}\n${JSON.stringify(['connection', 'c-1', 'field', 'client_secret'])}`;
    const body = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt('sealed elsewhere', aad, null, nonce, derived);
    const sealed = `sealed:v3:${id}:${nonce.toString('base64url')}:${Buffer.from(body).toString('base64url')}`;
    const ring = KeyRing.parse(k1);
    expect(ring.isCurrent(sealed)).toBe(true);
    expect(ring.open(sealed, secretPlace('c-1', 'client_secret'))).toBe('sealed elsewhere');
  });

  it('when a value was sealed in the earlier AES-256-GCM format (v2), it opens in its place only, and reseals as v3', () => {
    const [id, material] = k1.split(':') as [string, string];
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(material, 'base64'), nonce, { authTagLength: 16 });
    // Additional data: `sealed:v2:<keyId>`, a newline, and the place as the JSON array of its parts.
    cipher.setAAD(Buffer.from(`sealed:v2:${id}\n${JSON.stringify(['connection', 'c-1', 'field', 'client_secret'])}`));
    const body = Buffer.concat([cipher.update('sealed before', 'utf8'), cipher.final(), cipher.getAuthTag()]);
    const sealed = `sealed:v2:${id}:${nonce.toString('base64url')}:${body.toString('base64url')}`;
    const ring = KeyRing.parse(k1);
    const place = secretPlace('c-1', 'client_secret');
    expect(ring.isSealed(sealed)).toBe(true);
    expect(ring.isCurrent(sealed)).toBe(false);
    expect(ring.isLegacy(sealed)).toBe(false);
    expect(ring.open(sealed, place)).toBe('sealed before');
    expect(thrown(() => ring.open(sealed, secretPlace('c-2', 'client_secret'))).code).toBe('invalid_sealed_value');
    const resealed = ring.reseal(sealed, place);
    expect(resealed.startsWith('sealed:v3:k1:')).toBe(true);
    expect(ring.isCurrent(resealed)).toBe(true);
    expect(ring.open(resealed, place)).toBe('sealed before');
  });
});
