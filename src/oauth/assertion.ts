/**
 * RFC 7523 client assertion (private_key_jwt): a short-lived JWT signed with the client's private key.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { type AppError, invalidInput } from '../errors.js';

export interface ClientAssertionOptions {
  clientId: string;
  audience: string;
  privateKeyPem: string;
  algorithm: string;
  keyId?: string;
  now?: Date;
}

/** Seconds an assertion stays valid: just long enough to reach the token endpoint. */
const ASSERTION_LIFETIME_SECONDS = 60;

export async function createClientAssertion(options: ClientAssertionOptions): Promise<string> {
  const key = await importPrivateKey(options.privateKeyPem, options.algorithm);
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  try {
    return await new SignJWT({})
      .setProtectedHeader({ alg: options.algorithm, typ: 'JWT', ...(options.keyId && { kid: options.keyId }) })
      .setIssuer(options.clientId)
      .setSubject(options.clientId)
      .setAudience(options.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
      .setJti(randomUUID())
      .sign(key);
  } catch {
    throw keyMismatch(options.algorithm);
  }
}

/**
 * jose reads PKCS#8 only; PKCS#1 (`BEGIN RSA PRIVATE KEY`) and SEC1 (`BEGIN EC PRIVATE KEY`) keys, as many portals
 * hand them out, are converted with node:crypto first. Errors never echo the key.
 */
async function importPrivateKey(pem: string, algorithm: string): ReturnType<typeof importPKCS8> {
  let pkcs8: string;
  try {
    pkcs8 = createPrivateKey(pem.trim()).export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    throw invalidInput(
      'invalid_private_key',
      'private key: not a readable PEM private key (PKCS#8, PKCS#1 or SEC1, unencrypted); paste the whole key including the BEGIN and END lines',
    );
  }
  try {
    return await importPKCS8(pkcs8, algorithm);
  } catch {
    throw keyMismatch(algorithm);
  }
}

function keyMismatch(algorithm: string): AppError {
  return invalidInput(
    'invalid_private_key',
    `private key: it cannot sign with ${algorithm}; set token.assertionAlgorithm to match the key type (RS*/PS* for RSA, ES* for EC, EdDSA for Ed25519)`,
  );
}
