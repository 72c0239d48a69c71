/**
 * The key ring: seals and opens secret values with AES-256-GCM.
 *
 * A sealed value is a compact, recognisable string that names the key it was sealed with:
 * `sealed:v1:<keyId>:<base64url nonce>:<base64url ciphertext + tag>`. The prefix `sealed:v1:<keyId>` is bound as GCM
 * additional data, so a value whose key id or version was edited fails to open instead of opening with another key.
 *
 * The first key of the ring seals; every key opens. Rotating means putting a new key first, re-sealing stored values
 * (`rotate.ts`), then dropping the old key once nothing uses it.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';

const VERSION = 'v1';
const PREFIX = `sealed:${VERSION}:`;
const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]+$/;
/** 12 bytes are exactly 16 base64url characters; the tag alone takes 22. */
const SEALED = /^sealed:v1:([A-Za-z0-9_-]+):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22,})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const FIX = 'each entry is <id>:<base64 of 32 bytes>, first key seals; create one with `oauth-cc keys generate`';

interface RingKey {
  id: string;
  key: KeyObject;
  /** `sealed:v1:<id>`: the additional data, precomputed because seal and open run on the hot path. */
  aad: Buffer;
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
  return { id, key: createSecretKey(bytes), aad: Buffer.from(`${PREFIX}${id}`) };
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

  seal(plaintext: string): string {
    const { id, key, aad } = this.#current;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${id}:${nonce.toString('base64url')}:${body.toString('base64url')}`;
  }

  open(sealed: string): string {
    const match = typeof sealed === 'string' ? SEALED.exec(sealed) : null;
    if (!match) throw sealedError('is malformed: expected sealed:v1:<keyId>:<nonce>:<ciphertext>');
    const [, id, nonce, body] = match as unknown as [string, string, string, string];
    const ringKey = this.#byId.get(id);
    if (!ringKey) {
      throw sealedError(
        `was sealed with key id "${id.slice(0, 64)}", which is not in ENCRYPTION_KEYS (${this.keyIds.join(', ')}); add that key back to open it`,
      );
    }
    const bytes = Buffer.from(body, 'base64url');
    try {
      const decipher = createDecipheriv(ALGORITHM, ringKey.key, Buffer.from(nonce, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(ringKey.aad);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch (cause) {
      throw new AppError(
        'permanent',
        'sealed_value_invalid',
        `sealed value failed authentication with key id "${id}": it was altered, or sealed with a different key under the same id`,
        { cause },
      );
    }
  }

  isSealed(value: unknown): value is string {
    return typeof value === 'string' && SEALED.test(value);
  }

  /** True when `sealed` was sealed with the current (first) key; false for anything else. */
  isCurrent(sealed: string): boolean {
    return sealed.startsWith(`${PREFIX}${this.#current.id}:`) && this.isSealed(sealed);
  }

  /** Opens with whichever key sealed it and seals again with the current key. */
  reseal(sealed: string): string {
    return this.seal(this.open(sealed));
  }
}
