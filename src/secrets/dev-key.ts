/**
 * Where the key ring comes from: ENCRYPTION_KEYS, or outside production a development key kept in a local,
 * git-ignored file so that values sealed yesterday still open today.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { KeyRing } from './keyring.js';

export interface KeyRingConfig {
  /** ENCRYPTION_KEYS, when set. */
  encryptionKeys?: string;
  nodeEnv: string;
  /** Path of the development key file. */
  devKeyFile: string;
}

/**
 * The content of the key file, created with a new key if missing. Race-safe: the key is written to a private
 * temporary file which is then hard-linked into place, so of two processes starting at once one wins the link and
 * the other reads the complete file (never a half-written one).
 */
function readOrCreateKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, `${KeyRing.generateKey('dev')}\n`, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  return readFileSync(path, 'utf8');
}

function parseKeyFile(path: string, content: string): KeyRing {
  try {
    return KeyRing.parse(content.trim());
  } catch (error) {
    throw new AppError(
      'invalid_input',
      'invalid_config',
      `DEV_KEY_FILE ${path}: ${(error as Error).message.replace(/^ENCRYPTION_KEYS: /, '').replace(/;.*$/, '')}; delete the file to start over with a new development key (values sealed with the old one will no longer open)`,
      { cause: error },
    );
  }
}

/**
 * The key ring of this process. With ENCRYPTION_KEYS, that ring. Without it: in production, an `invalid_config`
 * error; elsewhere, the development key of `devKeyFile` (created on first use, mode 0600), with a warning.
 */
export function loadKeyRing(config: KeyRingConfig, log: Pick<Logger, 'warn'>): KeyRing {
  if (config.encryptionKeys) return KeyRing.parse(config.encryptionKeys);
  if (config.nodeEnv === 'production') {
    throw new AppError(
      'invalid_input',
      'invalid_config',
      'ENCRYPTION_KEYS: required in production; create a key with `oauth-cc keys generate` and set ENCRYPTION_KEYS="<id>:<base64>"',
    );
  }
  const keys = parseKeyFile(config.devKeyFile, readOrCreateKeyFile(config.devKeyFile));
  log.warn(
    { devKeyFile: config.devKeyFile },
    `ENCRYPTION_KEYS is not set: secrets are sealed with a DEVELOPMENT-ONLY key from ${config.devKeyFile}. Never use it in production: create a key with \`oauth-cc keys generate\` and set ENCRYPTION_KEYS`,
  );
  return keys;
}
