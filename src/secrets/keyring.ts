/**
 * The key ring: seals and opens secret values with XChaCha20-Poly1305 (libsodium).
 *
 * A sealed value is a compact, recognisable string that names the key it was sealed with:
 * `sealed:v3:<keyId>:<base64url nonce, 24 bytes>:<base64url ciphertext + tag>`. Its additional data is the prefix
 * `sealed:v3:<keyId>`, a newline and the place the value was sealed for (`places.ts`): a value whose key id or
 * version was edited, or that is presented in another place, fails to open instead of opening. The cipher's key is
 * derived from the ENCRYPTION_KEYS entry with HKDF-SHA256 (info `oauth-cc-worker sealed:v3`), so that no key serves
 * two algorithms.
 *
 * Why XChaCha20-Poly1305: its nonces are 192 random bits, so a key may seal any number of values. AES-GCM with random
 * 96-bit nonces, which sealed before, allows about 2^32 seals per key (NIST SP 800-38D, 8.3); a platform renewing 10
 * million hourly tokens seals 240 million values a day and would pass that within three weeks. It also opens in a
 * third of the time, and a miss of the connection cache opens two values (docs/PERFORMANCE.md).
 *
 * Values of the earlier formats still open: `sealed:v2:…` (AES-256-GCM with the entry itself, bound to its place the
 * same way) and `sealed:v1:…` (AES-256-GCM bound to nothing but its key id, so it opens anywhere). Rotation
 * (`rotate.ts`) re-seals both in the current format.
 *
 * The first key of the ring seals; every key opens. Rotating means putting a new key first, re-sealing stored values
 * (`rotate.ts`), then dropping the old key once nothing uses it.
 */
import { createDecipheriv, createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Place } from './places.js';
import { sodium } from './sodium.js';

const PREFIX = 'sealed:v3:';
const GCM_PREFIX = 'sealed:v2:';
const LEGACY_PREFIX = 'sealed:v1:';
const KEY_BYTES = 32;
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]+$/;
/** Nonces in base64url: 24 bytes (v3) are exactly 32 characters, 12 bytes (v1, v2) 16; the tag alone takes 22. */
const SEALED = /^sealed:(v3):([A-Za-z0-9_-]+):([A-Za-z0-9_-]{32}):([A-Za-z0-9_-]{22,})$/;
const GCM_SEALED = /^sealed:(v[12]):([A-Za-z0-9_-]+):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22,})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const FIX = 'each entry is <id>:<base64 of 32 bytes>, first key seals; create one with `oauth-cc keys generate`';
const KEY_INFO = 'oauth-cc-worker sealed:v3';

interface RingKey {
  id: string;
  /** The XChaCha20-Poly1305 key, derived from the entry. */
  key: Uint8Array;
  /** The entry itself: the AES-256-GCM key of the earlier formats. */
  gcmKey: KeyObject;
  /** `sealed:v3:<id>\n` and `sealed:v2:<id>\n`: the start of the additional data, the place follows. */
  aadStart: string;
  gcmAadStart: string;
  /** `sealed:v1:<id>`: the whole additional data of a value of the earliest format. */
  legacyAad: Buffer;
}

interface SealedParts {
  version: 'v1' | 'v2' | 'v3';
  id: string;
  nonce: string;
  body: string;
}

function sealedParts(value: unknown): SealedParts | null {
  if (typeof value !== 'string') return null;
  const match = (value.startsWith(PREFIX) ? SEALED : GCM_SEALED).exec(value);
  if (!match) return null;
  const [, version, id, nonce, body] = match as unknown as [string, SealedParts['version'], string, string, string];
  return { version, id, nonce, body };
}

const configError = (problem: string) =>
  new AppError('invalid_input', 'invalid_config', `ENCRYPTION_KEYS: ${problem}; ${FIX}`);
const sealedError = (problem: string) => new AppError('permanent', 'sealed_value_invalid', `sealed value ${problem}`);

function decodeKey(id: string, encoded: string): Buffer {
  if (!BASE64.test(encoded) && !BASE64URL.test(encoded)) throw configError(`key "${id}" is not valid base64`);
  const bytes = Buffer.from(encoded, BASE64.test(encoded) ? 'base64' : 'base64url');
  if (bytes.length !== KEY_BYTES) throw configError(`key "${id}" is ${bytes.length} bytes, not ${KEY_BYTES}`);
  return bytes;
}

function ringKey(id: string, bytes: Buffer): RingKey {
  return {
    id,
    key: new Uint8Array(hkdfSync('sha256', bytes, Buffer.alloc(0), KEY_INFO, KEY_BYTES)),
    gcmKey: createSecretKey(bytes),
    aadStart: `${PREFIX}${id}\n`,
    gcmAadStart: `${GCM_PREFIX}${id}\n`,
    legacyAad: Buffer.from(`${LEGACY_PREFIX}${id}`),
  };
}

/** True for a value sealed by a key ring (any key, any format); no key is needed to tell. */
export function isSealedAtRest(value: unknown): value is string {
  return sealedParts(value) !== null;
}

export class KeyRing {
  readonly #current: RingKey;
  readonly #byId: ReadonlyMap<string, RingKey>;

  private constructor(keys: RingKey[]) {
    this.#current = keys[0]!;
    this.#byId = new Map(keys.map((k) => [k.id, k]));
  }

  /** Parses `ENCRYPTION_KEYS`: `"k2:<base64>,k1:<base64>"`, the first key seals. Never echoes key material. */
  static parse(spec: string): KeyRing {
    const entries = spec
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    if (entries.length === 0) throw configError('is empty');
    const keys: RingKey[] = [];
    for (const [index, entry] of entries.entries()) {
      const colon = entry.indexOf(':');
      if (colon < 0) throw configError(`entry ${index + 1} has no key id (expected <id>:<base64>)`);
      const id = entry.slice(0, colon).trim();
      if (!KEY_ID.test(id))
        throw configError(`entry ${index + 1} has an invalid key id (use letters, digits, _ and -)`);
      if (keys.some((k) => k.id === id)) throw configError(`key id "${id}" appears twice`);
      keys.push(ringKey(id, decodeKey(id, entry.slice(colon + 1).trim())));
    }
    return new KeyRing(keys);
  }

  /** A new `ENCRYPTION_KEYS` entry, `"<id>:<base64 of 32 random bytes>"`. @default id `k<milliseconds since epoch>` */
  static generateKey(id = `k${Date.now()}`): string {
    if (!KEY_ID.test(id)) throw configError(`key id "${id}" is invalid (use letters, digits, _ and -)`);
    return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
  }

  /** The id of the key that seals. */
  get currentKeyId(): string {
    return this.#current.id;
  }

  /** Ids of every key of the ring, the sealing one first. */
  get keyIds(): string[] {
    return [...this.#byId.keys()];
  }

  /** Seals `plaintext` for `place`: it opens only where the same place is given. */
  seal(plaintext: string, place: Place): string {
    const { id, key, aadStart } = this.#current;
    const nonce = randomBytes(NONCE_BYTES);
    const body = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aadStart + place, null, nonce, key);
    return `${PREFIX}${id}:${nonce.toString('base64url')}:${Buffer.from(body).toString('base64url')}`;
  }

  /**
   * Opens a value presented in `place`. A value sealed for another place fails with `invalid_sealed_value`; a value of
   * the earliest, unbound format opens wherever it is.
   */
  open(sealed: string, place: Place): string {
    const parts = sealedParts(sealed);
    if (!parts) throw sealedError('is malformed: expected sealed:v3:<keyId>:<nonce>:<ciphertext>');
    const { version, id, nonce, body } = parts;
    const ringKey = this.#byId.get(id);
    if (!ringKey) {
      throw sealedError(
        `was sealed with key id "${id.slice(0, 64)}", which is not in ENCRYPTION_KEYS (${this.keyIds.join(', ')}); add that key back to open it`,
      );
    }
    try {
      if (version === 'v3') return openXChaCha(ringKey, nonce, body, ringKey.aadStart + place);
      return openGcm(
        ringKey,
        nonce,
        body,
        version === 'v2' ? Buffer.from(ringKey.gcmAadStart + place) : ringKey.legacyAad,
      );
    } catch (cause) {
      if (version !== 'v1') {
        throw new AppError(
          'permanent',
          'invalid_sealed_value',
          `sealed value does not open here with key id "${id}": it was sealed for another field, connector or connection, or altered; seal each value for the place it is used in`,
          { cause },
        );
      }
      throw new AppError(
        'permanent',
        'sealed_value_invalid',
        `sealed value failed authentication with key id "${id}": it was altered, or sealed with a different key under the same id`,
        { cause },
      );
    }
  }

  isSealed(value: unknown): value is string {
    return isSealedAtRest(value);
  }

  /** True when `sealed` is of the current format and sealed with the current (first) key; false for anything else. */
  isCurrent(sealed: string): boolean {
    return sealed.startsWith(`${PREFIX}${this.#current.id}:`) && this.isSealed(sealed);
  }

  /** True for a value of the earliest format, bound to no place. */
  isLegacy(sealed: string): boolean {
    return sealed.startsWith(LEGACY_PREFIX) && this.isSealed(sealed);
  }

  /** Opens with whichever key sealed it and seals again, for the same place, with the current key. */
  reseal(sealed: string, place: Place): string {
    return this.seal(this.open(sealed, place), place);
  }
}

/** Opens a value of the current format (v3) with `aad`; throws unless its tag verifies. */
function openXChaCha(ringKey: RingKey, nonce: string, body: string, aad: string): string {
  const bytes = Buffer.from(body, 'base64url');
  return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
    null,
    bytes,
    aad,
    Buffer.from(nonce, 'base64url'),
    ringKey.key,
    'text',
  );
}

/** Opens a value of the AES-256-GCM formats (v1, v2) with `aad`; throws unless its tag verifies. */
function openGcm(ringKey: RingKey, nonce: string, body: string, aad: Buffer): string {
  const bytes = Buffer.from(body, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', ringKey.gcmKey, Buffer.from(nonce, 'base64url'), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(aad);
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  const clear = decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES));
  // final() throws unless the tag verifies, so nothing is returned before it has: GCM leaves final nothing to add.
  const rest = decipher.final();
  return (rest.length === 0 ? clear : Buffer.concat([clear, rest])).toString('utf8');
}
