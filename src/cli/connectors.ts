/** `oauth-cc connectors …`: check definition files, store them, list what is stored. */

import { catalogueDir } from '../authoring/catalogue.js';
import type { DefinitionIssue } from '../definitions/issues.js';
import type { ConnectorDefinition } from '../definitions/schema.js';
import { didYouMean } from '../definitions/suggest.js';
import { formatIssue, loadDefinitions } from '../definitions/validate.js';
import { type Command, cliError, type Output, UsageError } from './command.js';
import { withRuntime, withStore } from './context.js';
import { formatTable } from './table.js';
import { tryCommand } from './try.js';

interface Checked {
  /** The valid definitions, in file order. */
  valid: Array<{ file: string; definition: ConnectorDefinition }>;
  /** Every issue of every file, formatted `<file>: <path>: <message>`. */
  lines: string[];
  files: number;
  errors: number;
  warnings: number;
}

async function load(path: string) {
  try {
    return await loadDefinitions(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw cliError('path_not_found', `${path}: no such file or directory; give a connector .json file or a directory`);
  }
}

/** Two files defining the same key would overwrite each other on apply, silently: an error in the second file. */
function duplicateKeys(valid: Checked['valid']): Array<{ file: string; issue: DefinitionIssue }> {
  const firstFile = new Map<string, string>();
  const duplicates: Array<{ file: string; issue: DefinitionIssue }> = [];
  for (const { file, definition } of valid) {
    const first = firstFile.get(definition.key);
    if (first === undefined) firstFile.set(definition.key, file);
    else {
      const message = `connector key "${definition.key}" is already defined in ${first}; give each connector its own key`;
      duplicates.push({ file, issue: { path: 'key', message, severity: 'error' } });
    }
  }
  return duplicates;
}

/** Validates a file or every `*.json` file of a directory. */
async function check(path: string): Promise<Checked> {
  const results = await load(path);
  if (results.length === 0) throw cliError('no_definitions', `${path}: no .json files in this directory`);
  const reported = results.flatMap(({ file, result }) =>
    (result.ok ? result.warnings : result.issues).map((issue) => ({ file, issue })),
  );
  const valid = results.flatMap(({ file, result }) => (result.ok ? [{ file, definition: result.definition }] : []));
  const all = [...reported, ...duplicateKeys(valid)];
  const errors = all.filter(({ issue }) => issue.severity === 'error').length;
  return {
    valid,
    lines: all.map(({ file, issue }) => formatIssue(issue, file)),
    files: results.length,
    errors,
    warnings: all.length - errors,
  };
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

function report(checked: Checked, output: Output): void {
  for (const line of checked.lines) output.out(line);
  output.out(
    `${plural(checked.files, 'file')} checked: ${plural(checked.errors, 'error')}, ${plural(checked.warnings, 'warning')}`,
  );
}

const validate: Command = {
  name: 'connectors validate',
  args: ['<file|dir>'],
  summary: 'Check connector definition files (a file, or every *.json of a directory); exit 1 on any error',
  async run({ positionals: [path = ''] }, output) {
    const checked = await check(path);
    report(checked, output);
    return checked.errors > 0 ? 1 : 0;
  },
};

/** The catalogue's definitions, all or those of `keys`; an unknown key is an error naming the near ones. */
async function checkCatalogue(keys: string[]): Promise<Checked> {
  const checked = await check(catalogueDir());
  if (keys.length === 0) return checked;
  const known = new Set(checked.valid.map(({ definition }) => definition.key));
  const unknown = keys.filter((key) => !known.has(key));
  if (unknown.length > 0) {
    const hints = unknown.map(
      (key) => `${key}${didYouMean(key, known) ? ` (did you mean ${didYouMean(key, known)}?)` : ''}`,
    );
    throw cliError(
      'unknown_connector',
      `not in the catalogue: ${hints.join(', ')}; see docs/connectors.md for the list`,
    );
  }
  const valid = checked.valid.filter(({ definition }) => keys.includes(definition.key));
  return { ...checked, valid };
}

const apply: Command = {
  name: 'connectors apply',
  args: ['[file|dir|key…]'],
  summary:
    'Validate, then create or update each connector; nothing is applied when any file has an error. With --catalogue, the arguments are catalogue keys (none: the whole catalogue)',
  options: { catalogue: { value: '', kind: 'flag', description: 'Apply entries of the catalogue (connectors/)' } },
  async run({ positionals, flags }, output) {
    if (!flags.catalogue && positionals.length !== 1) {
      throw new UsageError('give one file or directory, or --catalogue [key …]', apply);
    }
    const checked = flags.catalogue ? await checkCatalogue(positionals) : await check(positionals[0] ?? '');
    if (checked.errors > 0) {
      report(checked, output);
      output.err('Nothing applied: fix the errors above and run again.');
      return 1;
    }
    for (const line of checked.lines) output.out(line);
    await withRuntime(async (runtime) => {
      for (const { file, definition } of checked.valid) {
        // Published even when unchanged: a previous run may have stored a version and stopped before publishing it.
        const { outcome, version } = await runtime.services.cache.applyConnector(definition);
        output.out(`${outcome} ${definition.key} (version ${version}) from ${file}`);
      }
    });
    return 0;
  },
};

const list: Command = {
  name: 'connectors list',
  args: [],
  summary: 'List the stored connectors',
  async run(_input, output) {
    const connectors = await withStore(({ store }) => store.connectors.list());
    if (connectors.length === 0) {
      output.err('No connectors stored; add some with `oauth-cc connectors apply <file|dir>`.');
      return 0;
    }
    const rows = connectors
      .map(({ definition, version, updatedAt }) => [definition.key, definition.name, version, updatedAt])
      .sort(([a], [b]) => String(a).localeCompare(String(b)));
    for (const line of formatTable(['KEY', 'NAME', 'VERSION', 'UPDATED'], rows)) output.out(line);
    return 0;
  },
};

export const connectorCommands: Command[] = [validate, apply, list, tryCommand];
