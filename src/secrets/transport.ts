/**
 * Transport keys: producers seal secrets for the worker with its public key, so that a producer holds nothing that
 * opens anything (the at-rest ring, ENCRYPTION_KEYS, stays with the workers).
 *
 * An envelope is `transport:v1:<keyId>:<base64url of crypto_box_seal(plaintext, publicKey)>`: a standard libsodium
 * sealed box (X25519 + XSalsa20-Poly1305), whose plaintext is the UTF-8 JSON object
 * `{"connector": "<connector key>", "field": "<field key>", "value": "<the secret>"}`. The plaintext names the place
 * the value was sealed for, so an envelope copied into another field or another connector's job does not open there.
 * README "Transport keys" shows how to build one in other languages.
 *
 * The worker's TRANSPORT_PRIVATE_KEYS is a ring like ENCRYPTION_KEYS: `"<id>:<base64 of 32 bytes>,…"`, the first key
 * is the one producers are given, every key opens.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { AppError } from '../errors.js';
import { sodium } from './sodium.js';

// Keys are made and derived with node:crypto's X25519, which is the same curve and key encoding as libsodium's.

/** DER header of a PKCS#8 X25519 private key, followed by the 32 raw bytes. */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, privateKey]), format: 'der', type: 'pkcs8' });
  return new Uint8Array(Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x as string, 'base64url'));
}

const PREFIX = 'transport:v1:';
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]+$/;
/** A sealed box is at least 48 bytes (ephemeral public key + tag): 64 base64url characters. */
const ENVELOPE = /^transport:v1:([A-Za-z0-9_-]+):([A-Za-z0-9_-]{64,}={0,2})$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const PRIVATE_FIX =
  'each entry is <id>:<base64 of 32 bytes>, first key current; create one with `oauth-cc keys transport`';

/** Where a value in job data was sealed for: a field of a connector. */
export interface JobPlace {
  connector: string;
  field: string;
}

/** A public key as producers are given it: `<id>:<base64 of 32 bytes>` (`oauth-cc keys public`). */
export interface TransportPublicKey {
  id: string;
  key: Uint8Array;
}

const invalidSealed = (message: string, cause?: unknown) =>
  new AppError('permanent', 'invalid_sealed_value', message, cause === undefined ? undefined : { cause });

function decodeKey(variable: string, fix: string, id: string, encoded: string): Uint8Array {
  const problem = (text: string) => new AppError('invalid_input', 'invalid_config', `${variable}: ${text}; ${fix}`);
  if (!KEY_ID.test(id)) throw problem(`key id "${id.slice(0, 64)}" is invalid (use letters, digits, _ and -)`);
  if (!BASE64.test(encoded)) throw problem(`key "${id}" is not valid base64`);
  const bytes = Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== KEY_BYTES) throw problem(`key "${id}" is ${bytes.length} bytes, not ${KEY_BYTES}`);
  return new Uint8Array(bytes);
}

function splitEntry(variable: string, fix: string, entry: string, index: number): [string, Uint8Array] {
  const colon = entry.indexOf(':');
  if (colon < 0) {
    throw new AppError(
      'invalid_input',
      'invalid_config',
      `${variable}: entry ${index + 1} has no key id (expected <id>:<base64>); ${fix}`,
    );
  }
  const id = entry.slice(0, colon).trim();
  return [id, decodeKey(variable, fix, id, entry.slice(colon + 1).trim())];
}

/** Parses a public key `<id>:<base64>`; `name` is what the caller called it, for the error. */
export function parsePublicKey(spec: string, name = 'transportPublicKey'): TransportPublicKey {
  const [id, key] = splitEntry(name, 'print the current one with `oauth-cc keys public`', spec.trim(), 0);
  return { id, key };
}

export function isTransportSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

/** Seals `value` for `place` with the worker's public key: what a producer does, in any language. */
export async function sealForTransport(publicKey: TransportPublicKey, place: JobPlace, value: string): Promise<string> {
  const plaintext = JSON.stringify({ connector: place.connector, field: place.field, value });
  const box = sodium.crypto_box_seal(new TextEncoder().encode(plaintext), publicKey.key);
  return `${PREFIX}${publicKey.id}:${Buffer.from(box).toString('base64url')}`;
}

interface PrivateKey {
  id: string;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

function sealedFor(plaintext: string): { connector: unknown; field: unknown; value: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(plaintext);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as never) : null;
  } catch {
    return null;
  }
}

export class TransportKeyRing {
  readonly #keys: ReadonlyMap<string, PrivateKey>;
  readonly #current: PrivateKey;

  private constructor(keys: PrivateKey[]) {
    this.#current = keys[0]!;
    this.#keys = new Map(keys.map((key) => [key.id, key]));
  }

  /** Parses TRANSPORT_PRIVATE_KEYS. Never echoes key material. */
  static parse(spec: string): TransportKeyRing {
    const entries = spec
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    const fail = (problem: string) =>
      new AppError('invalid_input', 'invalid_config', `TRANSPORT_PRIVATE_KEYS: ${problem}; ${PRIVATE_FIX}`);
    if (entries.length === 0) throw fail('is empty');
    const keys: PrivateKey[] = [];
    for (const [index, entry] of entries.entries()) {
      const [id, privateKey] = splitEntry('TRANSPORT_PRIVATE_KEYS', PRIVATE_FIX, entry, index);
      if (keys.some((key) => key.id === id)) throw fail(`key id "${id}" appears twice`);
      keys.push({ id, privateKey, publicKey: publicKeyOf(privateKey) });
    }
    return new TransportKeyRing(keys);
  }

  /** A new pair: the TRANSPORT_PRIVATE_KEYS entry and the public key to give producers. @default id `t<ms>` */
  static generate(id = `t${Date.now()}`): { privateEntry: string; publicKey: string } {
    if (!KEY_ID.test(id)) {
      throw new AppError('invalid_input', 'invalid_config', `key id "${id}" is invalid (use letters, digits, _ and -)`);
    }
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    const raw = (key: typeof privateKey, member: 'd' | 'x') =>
      Buffer.from(key.export({ format: 'jwk' })[member] as string, 'base64url').toString('base64');
    return { privateEntry: `${id}:${raw(privateKey, 'd')}`, publicKey: `${id}:${raw(publicKey, 'x')}` };
  }

  /** The current public key, `<id>:<base64>`, as producers are given it. */
  get publicKey(): string {
    return `${this.#current.id}:${Buffer.from(this.#current.publicKey).toString('base64')}`;
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  /**
   * Opens an envelope presented in `place`. Fails with `invalid_sealed_value` (permanent) when it is malformed,
   * sealed with a key not in the ring, altered, or sealed for another field or connector.
   */
  async open(envelope: string, place: JobPlace): Promise<string> {
    const match = ENVELOPE.exec(envelope);
    const where = `field "${place.field}"`;
    if (!match)
      throw invalidSealed(`${where}: malformed transport envelope; expected transport:v1:<keyId>:<base64url>`);
    const [, id, body] = match as unknown as [string, string, string];
    const key = this.#keys.get(id);
    if (!key) {
      throw invalidSealed(
        `${where}: sealed with transport key "${id.slice(0, 64)}", which is not in TRANSPORT_PRIVATE_KEYS (${this.keyIds.join(', ')}); seal with the current public key (\`oauth-cc keys public\`)`,
      );
    }
    let plaintext: string;
    try {
      const bytes = new Uint8Array(Buffer.from(body, 'base64url'));
      plaintext = new TextDecoder('utf-8', { fatal: true }).decode(
        sodium.crypto_box_seal_open(bytes, key.publicKey, key.privateKey),
      );
    } catch (cause) {
      throw invalidSealed(
        `${where}: transport envelope does not open with key "${id}": altered or sealed for another key`,
        cause,
      );
    }
    const sealed = sealedFor(plaintext);
    if (!sealed || typeof sealed.value !== 'string') {
      throw invalidSealed(`${where}: transport envelope holds no {"connector", "field", "value"} JSON object`);
    }
    if (sealed.connector !== place.connector || sealed.field !== place.field) {
      throw invalidSealed(
        `${where} of connector "${place.connector}": the value was sealed for another field or connector; seal each value for the field it is sent in`,
      );
    }
    return sealed.value;
  }
}
