/**
 * Validates connector definitions: the zod shape first (unknown keys are errors), then the cross-field rules.
 * Every issue names its path and the fix; warnings (such as credential-looking static values) do not fail.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { unstorableText } from '../domain/storable-text.js';
import { checkClientAuth, checkFields, checkOther } from './check-definition.js';
import { checkPlace } from './check-templates.js';
import { type DefinitionIssue, error, type PathSegment } from './issues.js';
import { templatePlaces } from './places.js';
import { type ConnectorDefinition, connectorDefinitionSchema } from './schema.js';
import { fromZodIssues } from './zod-issues.js';

export type { DefinitionIssue } from './issues.js';

export type ValidationResult =
  | { ok: true; definition: ConnectorDefinition; warnings: DefinitionIssue[] }
  | { ok: false; issues: DefinitionIssue[] };

/** Every key or string no store can keep as it is (`unstorableText`), so no store may be asked to. */
function checkStorable(value: unknown, path: PathSegment[] = []): DefinitionIssue[] {
  if (typeof value === 'string') {
    const problem = unstorableText(value);
    return problem ? [error(path, problem)] : [];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const at = [...path, Array.isArray(value) ? Number(key) : key];
    const problem = unstorableText(key);
    return problem ? [error(at, `the key ${problem}`)] : checkStorable(item, at);
  });
}

function checkDefinition(def: ConnectorDefinition): DefinitionIssue[] {
  const ctx = { fields: new Map(def.fields.map((field) => [field.key, field])), hasTest: def.test !== undefined };
  return [
    ...checkStorable(def),
    ...checkFields(def.fields),
    ...checkClientAuth(def),
    ...checkOther(def),
    ...templatePlaces(def).flatMap((place) => checkPlace(place, ctx)),
  ];
}

/** Validates one definition (parsed JSON). Never throws. */
export function validateDefinition(input: unknown): ValidationResult {
  const parsed = connectorDefinitionSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: fromZodIssues(parsed.error.issues, input) };
  const issues = checkDefinition(parsed.data);
  if (issues.some((issue) => issue.severity === 'error')) return { ok: false, issues };
  return { ok: true, definition: parsed.data, warnings: issues };
}

/** `<source>: <path>: <message>`, with `warning: ` before the message for warnings. */
export function formatIssue(issue: DefinitionIssue, source?: string): string {
  const message = issue.severity === 'warning' ? `warning: ${issue.message}` : issue.message;
  return [source, issue.path, message].filter((part) => part !== undefined).join(': ');
}

async function validateFile(file: string): Promise<{ file: string; result: ValidationResult }> {
  let input: unknown;
  try {
    input = JSON.parse(await readFile(file, 'utf8'));
  } catch (caught) {
    const reason = caught instanceof Error ? caught.message : String(caught);
    return { file, result: { ok: false, issues: [error([], `not valid JSON (${reason})`)] } };
  }
  return { file, result: validateDefinition(input) };
}

/** Validates a `.json` file, or every `*.json` file of a directory (not recursive, sorted by name). */
export async function loadDefinitions(pathOrDir: string): Promise<Array<{ file: string; result: ValidationResult }>> {
  if (!(await stat(pathOrDir)).isDirectory()) return [await validateFile(pathOrDir)];
  const names = (await readdir(pathOrDir)).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(names.map((name) => validateFile(join(pathOrDir, name))));
}
