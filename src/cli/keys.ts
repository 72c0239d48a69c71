/** `oauth-cc keys …`: create encryption keys and move stored values to the current one. */

import { loadKeyRing } from '../secrets/dev-key.js';
import { KeyRing } from '../secrets/keyring.js';
import { rotateKeys } from '../secrets/rotate.js';
import { type Command, cliError, UsageError } from './command.js';
import { withStore } from './context.js';

/** KeyRing's own error talks about ENCRYPTION_KEYS, which is not what the user typed here. */
function generateKey(id: string | undefined): string {
  try {
    return KeyRing.generateKey(id);
  } catch {
    throw new UsageError(`--id: "${id}" is not a valid key id; use letters, digits, _ and -`, generate);
  }
}

const generate: Command = {
  name: 'keys generate',
  args: [],
  summary: 'Print a new ENCRYPTION_KEYS entry (<id>:<base64 of 32 random bytes>)',
  options: {
    id: { value: 'ID', description: 'key id (letters, digits, _ and -); default k<milliseconds since epoch>' },
  },
  async run({ options }, output) {
    const entry = generateKey(options.id);
    const id = entry.slice(0, entry.indexOf(':'));
    // Only the entry goes to stdout, so that `$(oauth-cc keys generate)` captures it and nothing else.
    output.out(entry);
    output.err(
      `Put it first in ENCRYPTION_KEYS, before the keys in use (ENCRYPTION_KEYS="${id}:…,<current keys>"): the first key seals, all keys open. Restart every process with it, then run \`oauth-cc keys rotate\`.`,
    );
    return 0;
  },
};

const rotate: Command = {
  name: 'keys rotate',
  args: [],
  summary: 'Re-seal every stored secret and token with the first key of ENCRYPTION_KEYS; resumable (run again)',
  async run(_input, output) {
    return withStore(async ({ config, log, store }) => {
      const keys = loadKeyRing(config, log);
      const stop = new AbortController();
      const interrupt = () =>
        stop.abort(cliError('interrupted', 'interrupted; run `oauth-cc keys rotate` again to finish, nothing is lost'));
      process.once('SIGINT', interrupt);
      output.err(`Re-sealing stored secrets and tokens with key "${keys.currentKeyId}"…`);
      try {
        const result = await rotateKeys(store, keys, {
          signal: stop.signal,
          onProgress: ({ examined, resealed }) => output.err(`examined ${examined}, re-sealed ${resealed}`),
        });
        output.out(
          `Examined ${result.examined} connections: re-sealed ${result.resealed} with key "${keys.currentKeyId}", retried ${result.conflicts} conflicting writes, ${result.failed.length} failed.`,
        );
        for (const { connectionId, message } of result.failed) output.out(`failed ${connectionId}: ${message}`);
        if (result.failed.length > 0) {
          output.err('Some connections were left as they were: fix the cause above and run again.');
          return 1;
        }
        const older = keys.keyIds.slice(1);
        if (older.length > 0) {
          output.err(
            `If every process already ran with this ENCRYPTION_KEYS when this run started, the older keys (${older.join(', ')}) can now be removed.`,
          );
        }
        return 0;
      } finally {
        process.off('SIGINT', interrupt);
      }
    });
  },
};

export const keyCommands: Command[] = [generate, rotate];
