#!/usr/bin/env node
/** The `oauth-cc` command (package.json `bin`); see src/cli/main.ts, or run `oauth-cc --help`. */
import { runCli } from '../src/cli/main.js';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
