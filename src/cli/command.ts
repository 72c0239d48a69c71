/** What every CLI command is made of, and the two ways a command ends badly. */
import { AppError, type ErrorCode } from '../errors.js';

/** Where a command writes: `out` for its result (pipeable), `err` for progress, hints and errors. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** An option of a command, such as `--owner X`, `--field k=v …` or `--json`. */
export interface OptionSpec {
  /** Placeholder shown in the usage text, such as `X`; empty for a flag. */
  value: string;
  description: string;
  /** `flag`: takes no value; `list`: may be repeated. @default "string" */
  kind?: 'string' | 'flag' | 'list';
}

export interface CommandInput {
  positionals: string[];
  /** Values of the string options given; absent options are undefined. */
  options: Record<string, string | undefined>;
  /** Flags given (`--json`). */
  flags: Record<string, boolean>;
  /** Values of the repeatable options, in order; [] when absent. */
  lists: Record<string, string[]>;
}

export interface Command {
  /** Group and command, such as `connectors validate`. */
  name: string;
  /**
   * Names of the positional arguments, such as `['<file|dir>']`: `<required>`, `[optional]`, and a last `[name…]`
   * takes any number.
   */
  args: string[];
  summary: string;
  options?: Record<string, OptionSpec>;
  /** Resolves to the exit code: 0 when it did what was asked, 1 when it failed. */
  run(input: CommandInput, output: Output): Promise<number>;
}

/** The command line is wrong (unknown command or option, missing argument): exit code 2, with usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(
    message: string,
    /** The command whose usage to show; the general usage when absent. */
    readonly command?: Command,
  ) {
    super(message);
  }
}

/** Reads a positive integer option such as `--limit 50`; a bad value is a usage error. */
export function positiveIntegerOption(command: Command, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value)) throw new UsageError(`--${name}: must be a positive integer, such as 50`, command);
  return Number(value);
}

/** A failure the user can act on, printed as one line with exit code 1. */
export const cliError = (code: ErrorCode, message: string) => new AppError('invalid_input', code, message);
