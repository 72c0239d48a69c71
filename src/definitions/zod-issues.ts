/**
 * Turns zod's shape errors into messages that name the path and the fix, with "did you mean" for misspelled keys
 * and options. The allowed keys come from the JSON Schema, so they follow the zod schema automatically.
 */
import type { z } from 'zod';
import { type DefinitionIssue, error, type PathSegment } from './issues.js';
import { connectorJsonSchema, type JsonSchema } from './json-schema.js';
import { didYouMean } from './suggest.js';

type ZodIssue = z.core.$ZodIssue;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON Schema node describing the value at `path`, when the path leads to an object schema. */
function schemaAt(path: readonly PathSegment[]): JsonSchema | undefined {
  let node: unknown = connectorJsonSchema();
  for (const segment of path) {
    if (!isObject(node)) return undefined;
    if (typeof segment === 'number') node = node.items;
    else if (isObject(node.properties) && Object.hasOwn(node.properties, segment)) node = node.properties[segment];
    else node = node.additionalProperties;
  }
  return isObject(node) ? node : undefined;
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<PathSegment, unknown>)[segment];
  }
  return value;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const TYPE_NAMES: Record<string, string> = { object: 'an object', array: 'an array', int: 'an integer' };
const typeName = (expected: string) => TYPE_NAMES[expected] ?? `a ${expected}`;

function unknownKeyIssues(issue: z.core.$ZodIssueUnrecognizedKeys, path: PathSegment[]): DefinitionIssue[] {
  const properties = schemaAt(path)?.properties;
  const allowed = isObject(properties) ? Object.keys(properties) : [];
  return issue.keys.map((key) => {
    const suggestion = didYouMean(key, allowed);
    const fix = suggestion ? `did you mean ${suggestion}?` : `allowed keys are ${allowed.join(', ')}`;
    return error([...path, key], `unknown key; ${fix}`);
  });
}

function unionMessage(issue: z.core.$ZodIssueInvalidUnion): string {
  const expected = new Set<string>();
  for (const branch of issue.errors) {
    for (const inner of branch)
      if (inner.code === 'invalid_type' && inner.path.length === 0) expected.add(inner.expected);
  }
  return expected.size > 0 ? `must be ${[...expected].map(typeName).join(' or ')}` : 'has an invalid value';
}

function rangeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const limit = small ? issue.minimum : issue.maximum;
  if (issue.origin === 'array')
    return small ? `add at least ${limit} item${limit === 1 ? '' : 's'}` : `use at most ${limit} items`;
  if (issue.origin === 'string') return small ? 'must not be empty' : `must be at most ${limit} characters`;
  if (issue.inclusive === false) return `must be ${small ? 'greater' : 'less'} than ${limit}`;
  return `must be at ${small ? 'least' : 'most'} ${limit}`;
}

function issueMessage(issue: ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `missing; add ${typeName(issue.expected)}`;
      return `must be ${typeName(issue.expected)}, not ${describeType(value)}`;
    case 'invalid_value': {
      const options = issue.values.map(String);
      const suggestion = typeof value === 'string' ? didYouMean(value, options) : undefined;
      return `must be one of ${options.join(', ')}${suggestion ? `; did you mean ${suggestion}?` : ''}`;
    }
    case 'invalid_format':
      return `invalid value; ${issue.message}`;
    case 'invalid_union':
      return unionMessage(issue);
    case 'too_small':
    case 'too_big':
      return rangeMessage(issue);
    default:
      return issue.message;
  }
}

/** One issue per problem (one per unknown key), each with its path. */
export function fromZodIssues(issues: readonly ZodIssue[], input: unknown): DefinitionIssue[] {
  return issues.flatMap((issue) => {
    const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
    if (issue.code === 'unrecognized_keys') return unknownKeyIssues(issue, path);
    return [error(path, issueMessage(issue, valueAt(input, path)))];
  });
}
