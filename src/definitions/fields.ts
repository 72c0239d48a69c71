/**
 * The values a user enters for a connector's fields: defaults applied, types coerced from their string forms,
 * options and patterns checked. Messages name the field and the fix and never repeat the value.
 */
import { RE2JS } from 're2js';

import type { FieldValue } from '../domain/model.js';
import { unstorableText } from '../domain/storable-text.js';
import { AppError } from '../errors.js';
import type { ConnectorDefinition, FieldDefinition } from './schema.js';
import { didYouMean } from './suggest.js';

export type FieldCheck = { ok: true; value: FieldValue } | { ok: false; message: string };

/**
 * Longest value of a single-line field, in characters. Values come from end users and end up in templates, URLs and
 * error messages: a bound keeps every step on them cheap.
 */
export const MAX_FIELD_LENGTH = 4096;
/** Longest value of a `multiline` field: room for a PEM private key with its certificate chain. */
export const MAX_MULTILINE_FIELD_LENGTH = 65_536;
/** Longest unknown field key quoted back in a message. */
const MAX_QUOTED_KEY = 64;

/** A compiled field pattern. */
export interface FieldPattern {
  /** True when the whole value matches. */
  test(value: string): boolean;
}

const compiledPatterns = new Map<string, FieldPattern>();

/**
 * A field's `pattern`, matched against the whole value. Patterns come from definitions, which plugin authors write,
 * and run on values end users type: they are compiled for RE2 (re2js), whose matching time is linear in the value
 * whatever the pattern, so no pattern can freeze a worker. RE2 has no lookaround and no backreferences.
 * Throws an Error naming the problem for a pattern RE2 cannot compile.
 */
export function fieldPattern(pattern: string): FieldPattern {
  let compiled = compiledPatterns.get(pattern);
  if (compiled === undefined) {
    const regex = RE2JS.compile(pattern);
    compiled = { test: (value) => regex.matches(value) };
    compiledPatterns.set(pattern, compiled);
  }
  return compiled;
}

function matchesPattern(pattern: string, value: string): boolean | undefined {
  try {
    return fieldPattern(pattern).test(value);
  } catch {
    return undefined;
  }
}

/** Is this input "left empty"? Empty values fall back to the default. */
export function isEmptyFieldInput(raw: unknown): boolean {
  return raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
}

function checkText(field: FieldDefinition, raw: unknown): FieldCheck {
  if (typeof raw !== 'string' && typeof raw !== 'number') return { ok: false, message: 'must be text' };
  const value = String(raw);
  const unstorable = unstorableText(value);
  if (unstorable) return { ok: false, message: unstorable };
  const max = field.multiline ? MAX_MULTILINE_FIELD_LENGTH : MAX_FIELD_LENGTH;
  if (value.length > max) return { ok: false, message: `must be at most ${max} characters` };
  if (!field.multiline && /[\r\n]/.test(value)) {
    return { ok: false, message: 'must be a single line (set multiline: true for PEM keys and certificates)' };
  }
  if (field.type === 'select' && !field.options?.includes(value)) {
    return { ok: false, message: `must be one of ${(field.options ?? []).join(', ')}` };
  }
  if (field.pattern !== undefined) {
    const matches = matchesPattern(field.pattern, value);
    if (matches === undefined) {
      return { ok: false, message: "cannot be checked: the connector's pattern is not valid RE2; fix the definition" };
    }
    if (!matches) {
      return { ok: false, message: `must match the pattern ${field.pattern}${field.help ? ` (${field.help})` : ''}` };
    }
  }
  return { ok: true, value };
}

function checkNumber(raw: unknown): FieldCheck {
  const value = typeof raw === 'string' ? Number(raw.trim()) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value))
    return { ok: false, message: 'must be a number, such as 42' };
  return { ok: true, value };
}

function checkBoolean(raw: unknown): FieldCheck {
  if (typeof raw === 'boolean') return { ok: true, value: raw };
  const text = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
  if (text === 'true' || text === 'false') return { ok: true, value: text === 'true' };
  return { ok: false, message: 'must be true or false' };
}

/** Checks and coerces one non-empty value for a field (also used to check definitions' defaults). */
export function checkFieldValue(field: FieldDefinition, raw: unknown): FieldCheck {
  switch (field.type) {
    case 'number':
      return checkNumber(raw);
    case 'boolean':
      return checkBoolean(raw);
    default:
      return checkText(field, raw);
  }
}

/**
 * Validates the values entered for a connector: unknown keys are refused, defaults fill empty values, required
 * fields must be present, and `"42"`/`"true"` are accepted for number and boolean fields. Empty optional fields
 * without a default are left out. Throws AppError('invalid_input', 'invalid_field') listing every problem.
 */
export function validateFieldValues(
  def: ConnectorDefinition,
  input: Record<string, unknown>,
): Record<string, FieldValue> {
  const problems: string[] = [];
  const known = new Set(def.fields.map((field) => field.key));
  for (const key of Object.keys(input)) {
    if (known.has(key)) continue;
    const quoted = key.length > MAX_QUOTED_KEY ? `${key.slice(0, MAX_QUOTED_KEY)}…` : key;
    const suggestion = key.length > MAX_QUOTED_KEY ? undefined : didYouMean(key, known);
    problems.push(
      `fields.${quoted}: unknown field; ${suggestion ? `did you mean ${suggestion}?` : `expected ${[...known].join(', ')}`}`,
    );
  }
  const values: Record<string, FieldValue> = {};
  for (const field of def.fields) {
    const raw = Object.hasOwn(input, field.key) ? input[field.key] : undefined;
    const given = isEmptyFieldInput(raw) ? field.default : raw;
    if (isEmptyFieldInput(given)) {
      if (field.required) problems.push(`fields.${field.key}: required; enter the ${field.label}`);
      continue;
    }
    const check = checkFieldValue(field, given);
    if (check.ok) values[field.key] = check.value;
    else problems.push(`fields.${field.key}: ${check.message}`);
  }
  if (problems.length > 0) throw new AppError('invalid_input', 'invalid_field', problems.join('; '));
  return values;
}

/** Keys of the `secret` fields: their values are sealed at rest and never shown again. */
export function secretFieldKeys(def: ConnectorDefinition): string[] {
  return def.fields.filter((field) => field.type === 'secret').map((field) => field.key);
}
