#!/usr/bin/env node
/** The `oauth-cc` command (package.json `bin`); see src/cli/main.ts, or run `oauth-cc --help`. */
import { runCli } from '../src/cli/main.js';

/** How long a finished command waits for its connections to close before it exits anyway. */
const EXIT_GRACE_MS = 5_000;

process.exitCode = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
// Every command closes what it opened, and the process normally ends here by itself. A connection whose close
// hangs must not keep a finished command alive (CI saw it: a producer connection still connecting refused QUIT and
// stayed open; `closeRedis` now disconnects it): the output is written and the exit code set, so end after a grace
// period. The timer is unref'd: it never delays a clean exit.
setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
