/** `oauth-cc keys …`: create at-rest and transport keys, show the public key, move stored values to the current key. */

import { loadConfig } from '../config.js';
import { loadKeyRing } from '../secrets/dev-key.js';
import { KeyRing } from '../secrets/keyring.js';
import { rotateKeys } from '../secrets/rotate.js';
import { TransportKeyRing } from '../secrets/transport.js';
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

const transport: Command = {
  name: 'keys transport',
  args: [],
  summary: 'Print a new transport key pair: the TRANSPORT_PRIVATE_KEYS entry, then the public key for producers',
  options: {
    id: { value: 'ID', description: 'key id (letters, digits, _ and -); default t<milliseconds since epoch>' },
  },
  async run({ options }, output) {
    let pair: { privateEntry: string; publicKey: string };
    try {
      pair = TransportKeyRing.generate(options.id);
    } catch {
      throw new UsageError(`--id: "${options.id}" is not a valid key id; use letters, digits, _ and -`, transport);
    }
    // Two lines on stdout, private first, so that a script reads both: `{ read -r private; read -r public; }`.
    output.out(pair.privateEntry);
    output.out(pair.publicKey);
    const id = pair.publicKey.slice(0, pair.publicKey.indexOf(':'));
    output.err(
      `Line 1 is private: put it first in TRANSPORT_PRIVATE_KEYS of every worker, before the keys in use (TRANSPORT_PRIVATE_KEYS="${id}:…,<current keys>"). Line 2 is the public key: once every worker runs with it, give it to producers (createClient's transportPublicKey). Remove an older key when no producer seals with it and no job sealed with it is waiting.`,
    );
    return 0;
  },
};

const publicKey: Command = {
  name: 'keys public',
  args: [],
  summary: 'Print the current transport public key (<id>:<base64>) of TRANSPORT_PRIVATE_KEYS, for producers',
  async run(_input, output) {
    const { transportPrivateKeys } = loadConfig();
    if (!transportPrivateKeys) {
      throw cliError(
        'invalid_config',
        'TRANSPORT_PRIVATE_KEYS: not set; create a pair with `oauth-cc keys transport` and set it on the workers',
      );
    }
    output.out(TransportKeyRing.parse(transportPrivateKeys).publicKey);
    return 0;
  },
};

const rotate: Command = {
  name: 'keys rotate',
  args: [],
  summary:
    'Re-seal every stored secret and token with the first key of ENCRYPTION_KEYS, bound to its connection; resumable (run again)',
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
          `Examined ${result.examined} connections: re-sealed ${result.resealed} with key "${keys.currentKeyId}", upgraded ${result.upgraded} values to the bound format, retried ${result.conflicts} conflicting writes, ${result.failed.length} failed.`,
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

export const keyCommands: Command[] = [generate, transport, publicKey, rotate];
