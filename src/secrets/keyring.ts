/**
 * The key ring: seals and opens secret values with AES-256-GCM.
 *
 * A sealed value is a compact, recognisable string that names the key it was sealed with:
 * `sealed:v2:<keyId>:<base64url nonce>:<base64url ciphertext + tag>`. Its GCM additional data is the prefix
 * `sealed:v2:<keyId>` and the place the value was sealed for (`places.ts`): a value whose key id or version was
 * edited, or that is presented in another place, fails to open instead of opening.
 *
 * Values of the earlier format `sealed:v1:…`, bound to nothing but their key id, still open anywhere; rotation
 * (`rotate.ts`) re-seals them in the bound format.
 *
 * The first key of the ring seals; every key opens. Rotating means putting a new key first, re-sealing stored values
 * (`rotate.ts`), then dropping the old key once nothing uses it.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import type { Place } from './places.js';

const PREFIX = 'sealed:v2:';
const LEGACY_PREFIX = 'sealed:v1:';
const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]+$/;
/** 12 bytes are exactly 16 base64url characters; the tag alone takes 22. */
const SEALED = /^sealed:(v[12]):([A-Za-z0-9_-]+):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22,})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const FIX = 'each entry is <id>:<base64 of 32 bytes>, first key seals; create one with `oauth-cc keys generate`';

interface RingKey {
  id: string;
  key: KeyObject;
  /** `sealed:v2:<id>\n`: the start of the additional data, precomputed because seal and open run on the hot path. */
  prefix: Buffer;
  /** `sealed:v1:<id>`: the whole additional data of a value of the earlier format. */
  legacyAad: Buffer;
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
    key: createSecretKey(bytes),
    prefix: Buffer.from(`${PREFIX}${id}\n`),
    legacyAad: Buffer.from(`${LEGACY_PREFIX}${id}`),
  };
}

/** True for a value sealed by a key ring (any key, either format); no key is needed to tell. */
export function isSealedAtRest(value: unknown): value is string {
  return typeof value === 'string' && SEALED.test(value);
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
    const { id, key, prefix } = this.#current;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.concat([prefix, Buffer.from(place)]));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${id}:${nonce.toString('base64url')}:${body.toString('base64url')}`;
  }

  /**
   * Opens a value presented in `place`. A value sealed for another place fails with `invalid_sealed_value`; a value of
   * the earlier, unbound format opens wherever it is.
   */
  open(sealed: string, place: Place): string {
    const match = typeof sealed === 'string' ? SEALED.exec(sealed) : null;
    if (!match) throw sealedError('is malformed: expected sealed:v2:<keyId>:<nonce>:<ciphertext>');
    const [, version, id, nonce, body] = match as unknown as [string, string, string, string, string];
    const ringKey = this.#byId.get(id);
    if (!ringKey) {
      throw sealedError(
        `was sealed with key id "${id.slice(0, 64)}", which is not in ENCRYPTION_KEYS (${this.keyIds.join(', ')}); add that key back to open it`,
      );
    }
    const bound = version === 'v2';
    const bytes = Buffer.from(body, 'base64url');
    try {
      const decipher = createDecipheriv(ALGORITHM, ringKey.key, Buffer.from(nonce, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(bound ? Buffer.concat([ringKey.prefix, Buffer.from(place)]) : ringKey.legacyAad);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch (cause) {
      if (bound) {
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

  /** True when `sealed` is of the bound format and sealed with the current (first) key; false for anything else. */
  isCurrent(sealed: string): boolean {
    return sealed.startsWith(`${PREFIX}${this.#current.id}:`) && this.isSealed(sealed);
  }

  /** True for a value of the earlier format, bound to no place. */
  isLegacy(sealed: string): boolean {
    return sealed.startsWith(LEGACY_PREFIX) && this.isSealed(sealed);
  }

  /** Opens with whichever key sealed it and seals again, for the same place, with the current key. */
  reseal(sealed: string, place: Place): string {
    return this.seal(this.open(sealed, place), place);
  }
}
