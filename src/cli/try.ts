/** `oauth-cc connectors try`: run a definition's connect steps against the provider and show the exchange. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { catalogueDir } from '../authoring/catalogue.js';
import { formatReport } from '../authoring/format.js';
import { ask } from '../authoring/prompt.js';
import { tryConnector } from '../authoring/try.js';
import { loadConfig } from '../config.js';
import { isEmptyFieldInput } from '../definitions/fields.js';
import type { ConnectorDefinition } from '../definitions/schema.js';
import { formatIssue, loadDefinitions } from '../definitions/validate.js';
import { HTTP_METHODS } from '../domain/use-cases.js';
import { createTransportFrom } from '../runtime.js';
import { type Command, cliError, type Output, UsageError } from './command.js';
import { withStore } from './context.js';

/** A definition from a file, else the stored connector of that key, else the catalogue entry of that key. */
async function loadDefinition(source: string, output: Output): Promise<ConnectorDefinition | undefined> {
  const catalogued = join(catalogueDir(), `${source}.json`);
  const file = existsSync(source) ? source : undefined;
  if (file === undefined) {
    const stored = await withStore(({ store }) => store.connectors.get(source));
    if (stored) return stored.definition;
    if (!existsSync(catalogued)) {
      throw cliError('unknown_connector', `${source}: no such file, stored connector or catalogue entry`);
    }
  }
  const [loaded] = await loadDefinitions(file ?? catalogued);
  if (!loaded) throw cliError('no_definitions', `${source}: not a connector .json file`);
  if (loaded.result.ok) {
    for (const issue of loaded.result.warnings) output.err(formatIssue(issue, loaded.file));
    return loaded.result.definition;
  }
  for (const issue of loaded.result.issues) output.out(formatIssue(issue, loaded.file));
  return undefined;
}

async function fieldInput(
  command: Command,
  file: string | undefined,
  pairs: string[],
): Promise<Record<string, unknown>> {
  const input: Record<string, unknown> = {};
  if (file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new UsageError(`--fields-file: cannot read ${file} as JSON (${(error as Error).message})`, command);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError(
        '--fields-file: must hold a JSON object of field values, such as {"client_id": "…"}',
        command,
      );
    }
    Object.assign(input, parsed);
  }
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--field ${pair}: write key=value, such as client_id=abc`, command);
    input[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return input;
}

/** Asks for each required field that has no value and no default, on the terminal; without one, a usage error. */
async function askMissing(command: Command, definition: ConnectorDefinition, input: Record<string, unknown>) {
  const missing = definition.fields.filter(
    (field) => field.required && isEmptyFieldInput(input[field.key]) && field.default === undefined,
  );
  if (missing.length === 0) return;
  if (!process.stdin.isTTY) {
    const keys = missing.map((field) => field.key);
    throw new UsageError(
      `missing required fields ${keys.join(', ')}; give --field ${keys[0]}=… (or --fields-file) or run in a terminal`,
      command,
    );
  }
  for (const field of missing) {
    const how = [field.type === 'secret' && 'hidden', field.multiline && 'end with an empty line']
      .filter(Boolean)
      .join(', ');
    input[field.key] = await ask(
      { input: process.stdin, output: process.stderr },
      `${field.label} (${field.key}${how ? `; ${how}` : ''}): ${field.multiline ? '\n' : ''}`,
      { hidden: field.type === 'secret', multiline: field.multiline === true },
    );
  }
}

function parseCall(command: Command, value: string | undefined): { method: string; path: string } | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(value);
  const method = match?.[1]?.toUpperCase();
  if (!match || !(HTTP_METHODS as readonly string[]).includes(method ?? '')) {
    throw new UsageError(
      `--call: write "METHOD path", such as "GET users" (methods: ${HTTP_METHODS.join(', ')})`,
      command,
    );
  }
  return { method: method as string, path: match[2] as string };
}

export const tryCommand: Command = {
  name: 'connectors try',
  args: ['<file|key>'],
  summary:
    'Run what connect runs (token, test API, name, unique identifier) against the provider, store nothing, and show each exchange with secrets masked and what to change; exit 1 when the provider refuses',
  options: {
    field: {
      value: 'key=value',
      kind: 'list',
      description: 'A field value (repeatable); missing required fields are asked on a terminal',
    },
    'fields-file': { value: 'f.json', description: 'A JSON object of field values' },
    call: { value: '"GET path"', description: 'One API call after the test, relative to the first allowed URL' },
    json: { value: '', kind: 'flag', description: 'Print the report as JSON' },
    probe: {
      value: '',
      kind: 'flag',
      description: 'When the token request is refused, try the other client authentications (one request each)',
    },
  },
  async run({ positionals: [source = ''], options, flags, lists }, output) {
    const call = parseCall(tryCommand, options.call);
    const input = await fieldInput(tryCommand, options['fields-file'], lists.field ?? []);
    const definition = await loadDefinition(source, output);
    if (!definition) return 1;
    await askMissing(tryCommand, definition, input);
    const config = loadConfig();
    const transport = createTransportFrom(config);
    try {
      const report = await tryConnector(definition, input, {
        tokenTimeoutMs: config.tokenRequestTimeoutMs,
        callTimeoutMs: config.callTimeoutMs,
        callMaxResponseBytes: config.callMaxResponseBytes,
        call,
        probe: flags.probe,
        transport: transport.send,
      });
      if (flags.json) output.out(JSON.stringify(report, null, 2));
      else for (const line of formatReport(report)) output.out(line);
      return report.ok ? 0 : 1;
    } finally {
      await transport.close();
    }
  },
};
