/** The demo's configuration and its printing: each step with its result, readable, and a final secret check. */
import { join } from 'node:path';
import { type Config, loadConfig } from '../src/config.js';
import { maskSecretsDeep } from '../src/log.js';
import { KeyRing } from '../src/secrets/keyring.js';
import { TransportKeyRing } from '../src/secrets/transport.js';

/** Everything the demo printed, checked at the end for secrets. */
const printed: string[] = [];

export function say(text: string): void {
  printed.push(text);
  process.stdout.write(text);
}

/**
 * The machine's Redis and database (REDIS_URL, DATABASE_URL, LOG_LEVEL are honoured), with the demo's own queue
 * prefix, PostgreSQL schema and key rings of its own, so that it can neither disturb nor read real work. Without
 * DATABASE_URL its embedded store has a directory of its own, so that it runs beside an `npm start`, which holds
 * the default one.
 */
export function demoConfig(): Config {
  return loadConfig({
    // Expected failures (step 6) would log warnings between the steps.
    LOG_LEVEL: 'error',
    ...process.env,
    DATA_DIR: join(process.env.DATA_DIR || '.data', 'demo'),
    NODE_ENV: 'development',
    QUEUE_PREFIX: 'oauth-cc-demo',
    DATABASE_SCHEMA: 'oauth_cc_demo',
    ENCRYPTION_KEYS: KeyRing.generateKey('demo'),
    TRANSPORT_PRIVATE_KEYS: TransportKeyRing.generate('demo').privateEntry,
    JOB_ATTEMPTS: '1',
  });
}

const indent = (text: string) => text.replace(/^/gm, '      ');

/** Runs one step and prints its result, or its failure when one is expected. */
export async function step<T>(
  number: number,
  name: string,
  what: string,
  run: () => Promise<T>,
  options: { expectFailure?: boolean } = {},
): Promise<T> {
  say(`\n${number}. ${name}: ${what}\n`);
  const started = Date.now();
  try {
    const result = await run();
    say(`   ✓ ${Date.now() - started} ms\n${indent(JSON.stringify(maskSecretsDeep(result), null, 2))}\n`);
    return result;
  } catch (error) {
    say(`   ✗ ${(error as Error).message}\n`);
    if (!options.expectFailure) throw error;
    return undefined as T;
  }
}

/** The last line: whether any of `secrets` (client secret, issued tokens) appeared in what was printed. */
export function summarize(secrets: string[]): string {
  const output = printed.join('');
  const leaked = secrets.filter((secret) => output.includes(secret)).length;
  return leaked === 0
    ? `\nDone. None of the ${secrets.length} secrets involved (client secret, access tokens) appeared above.\n`
    : `\nDone, but ${leaked} secret(s) appeared above: please report this as a bug.\n`;
}
