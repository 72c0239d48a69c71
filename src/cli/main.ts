/**
 * The `oauth-cc` command line: finds the command, parses its options (node:util `parseArgs`, strict), runs it and
 * turns the outcome into an exit code: 0 done, 1 failed (validation, not found, any error), 2 wrong usage.
 */
import { parseArgs } from 'node:util';
import { didYouMean } from '../definitions/suggest.js';
import { isAppError } from '../errors.js';
import { type Command, type CommandInput, type OptionSpec, type Output, UsageError } from './command.js';
import { connectionCommands } from './connections.js';
import { connectorCommands } from './connectors.js';
import { keyCommands } from './keys.js';

export const commands: Command[] = [...connectorCommands, ...connectionCommands, ...keyCommands];

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const optionText = (name: string, spec: OptionSpec) =>
  [`--${name}`, spec.value, spec.kind === 'list' ? '…' : ''].filter(Boolean).join(' ');

function commandLine(command: Command): string {
  const options = Object.entries(command.options ?? {}).map(([name, spec]) => `[${optionText(name, spec)}]`);
  return [command.name, ...command.args, ...options].join(' ');
}

/** The general usage: every command with its summary. */
export function usage(): string {
  const synopsis = (command: Command) =>
    [command.name, ...command.args, ...(command.options ? ['[options]'] : [])].join(' ');
  const width = Math.max(...commands.map((command) => synopsis(command).length));
  return [
    'Usage: oauth-cc <command> [options]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${synopsis(command).padEnd(width)}  ${command.summary}`),
    '',
    'Run `oauth-cc <command> --help` for the options of a command.',
    'Settings come from the environment and .env (DATABASE_URL, REDIS_URL, ENCRYPTION_KEYS, …; see the README).',
    'Exit codes: 0 done, 1 failed, 2 wrong usage.',
  ].join('\n');
}

/** The usage of one command, with its options. */
export function commandUsage(command: Command): string {
  const options = Object.entries(command.options ?? {});
  const width = Math.max(0, ...options.map(([name, spec]) => optionText(name, spec).length));
  return [
    `Usage: oauth-cc ${commandLine(command)}`,
    '',
    command.summary,
    ...(options.length > 0 ? ['', 'Options:'] : []),
    ...options.map(([name, spec]) => `  ${optionText(name, spec).padEnd(width)}  ${spec.description}`),
  ].join('\n');
}

function unknownCommand(group: string, name: string | undefined): UsageError {
  const inGroup = commands.filter((candidate) => candidate.name.startsWith(`${group} `)).map((c) => c.name);
  if (name === undefined && inGroup.length > 0)
    return new UsageError(`"${group}" needs a command: ${inGroup.join(', ')}`);
  const typed = [group, name].filter((part) => part !== undefined).join(' ');
  const guess = didYouMean(typed, inGroup.length > 0 ? inGroup : commands.map((c) => c.name));
  return new UsageError(`unknown command "${typed}"${guess ? `; did you mean "${guess}"?` : ''}`);
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h' || arg === 'help';

/** Splits argv into the command and its input; throws UsageError. Returns null when help was asked for. */
function parse(argv: string[]): { command: Command; input: CommandInput | null } | null {
  const [group, name] = argv;
  if (group === undefined || isHelp(group)) return null;
  const command = commands.find((candidate) => candidate.name === `${group} ${name ?? ''}`);
  if (!command) throw unknownCommand(group, name);
  const rest = argv.slice(2);
  if (rest.some(isHelp)) return { command, input: null };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(command.options ?? {}).map(([option, spec]) => [
          option,
          { type: spec.kind === 'flag' ? 'boolean' : 'string', multiple: spec.kind === 'list' },
        ]),
      ),
    });
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
  const required = command.args.filter((arg) => arg.startsWith('<')).length;
  const most = command.args.at(-1)?.endsWith('…]') ? Number.POSITIVE_INFINITY : command.args.length;
  const count = parsed.positionals.length;
  if (count < required || count > most) {
    const expected = command.args.length === 0 ? 'no arguments' : command.args.join(' ');
    throw new UsageError(`expected ${expected}, got ${count} argument(s)`, command);
  }
  return { command, input: { positionals: parsed.positionals, ...splitOptions(command, parsed.values) } };
}

function splitOptions(command: Command, values: Record<string, unknown>): Omit<CommandInput, 'positionals'> {
  const input: Omit<CommandInput, 'positionals'> = { options: {}, flags: {}, lists: {} };
  for (const [name, spec] of Object.entries(command.options ?? {})) {
    const value = values[name];
    if (spec.kind === 'flag') input.flags[name] = value === true;
    else if (spec.kind === 'list') input.lists[name] = Array.isArray(value) ? value.map(String) : [];
    else input.options[name] = typeof value === 'string' ? value : undefined;
  }
  return input;
}

/** The first line of an error: messages are meant to be one line, and stack traces are not for users. */
const oneLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/** Runs the command line `argv` (without node and script) and resolves to the exit code. Never throws. */
export async function runCli(argv: string[], output: Output): Promise<number> {
  try {
    const parsed = parse(argv);
    if (parsed === null) {
      output.out(usage());
      return EXIT.ok;
    }
    if (parsed.input === null) {
      output.out(commandUsage(parsed.command));
      return EXIT.ok;
    }
    return await parsed.command.run(parsed.input, output);
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`oauth-cc: ${error.message}\n`);
      output.err(error.command ? commandUsage(error.command) : usage());
      return EXIT.usage;
    }
    // AppError messages name the field and the fix and never hold a secret; other errors (a database that is down)
    // are shown by their first line only.
    output.err(`oauth-cc: ${isAppError(error) ? error.message : `unexpected error: ${oneLine(error)}`}`);
    return EXIT.failed;
  }
}
