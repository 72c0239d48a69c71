/**
 * What commands that touch stored data run in. Configuration comes from the environment (and `.env`) like every
 * other process; the CLI's log lines go to stderr so that stdout carries only the command's result.
 */
import { type Config, loadConfig } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/port.js';

export interface StoreContext {
  config: Config;
  log: Logger;
  store: Store;
}

/** How long a command waits for its connections to close once its work is done. */
const CLOSE_WAIT_MS = 5_000;

/**
 * Closes, but gives up waiting after CLOSE_WAIT_MS with a warning: the command's work is done and its result known,
 * and a close that never settles (CI saw one: a Redis connection still connecting, since closed by `closeRedis`)
 * must not hold the result back. `bin/oauth-cc.ts` then ends the process.
 */
async function closeWithin(close: () => Promise<void>, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'gave up'>((resolve) => {
    timer = setTimeout(() => resolve('gave up'), CLOSE_WAIT_MS);
  });
  const outcome = await Promise.race([close().then(() => 'closed' as const), gaveUp]);
  clearTimeout(timer);
  if (outcome === 'gave up') log.warn({ waitedMs: CLOSE_WAIT_MS }, 'connections did not close in time; exiting anyway');
}

function configAndLog(): { config: Config; log: Logger } {
  const config = loadConfig();
  return { config, log: createLogger({ level: config.logLevel, destination: process.stderr }) };
}

/** Runs `fn` with the store only (no Redis, no key ring), migrated so that a fresh database reads as empty. */
export async function withStore<T>(fn: (context: StoreContext) => Promise<T>): Promise<T> {
  const { config, log } = configAndLog();
  const store = await createStore(config.databaseUrl, { schema: config.databaseSchema });
  try {
    await store.migrate();
    return await fn({ config, log, store });
  } finally {
    await closeWithin(() => store.close(), log);
  }
}

/** Runs `fn` with the whole runtime (store, key ring, Redis), for commands whose writes workers must see. */
export async function withRuntime<T>(fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const { config, log } = configAndLog();
  const runtime = await createRuntime(config, log);
  try {
    return await fn(runtime);
  } finally {
    await closeWithin(() => runtime.close(), log);
  }
}
