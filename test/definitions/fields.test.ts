import { describe, expect, it } from 'vitest';
import { secretFieldKeys, validateFieldValues } from '../../src/definitions/fields.js';
import type { ConnectorDefinition } from '../../src/definitions/schema.js';
import { formatIssue, validateDefinition } from '../../src/definitions/validate.js';

const def: ConnectorDefinition = {
  key: 'acme',
  name: 'Acme',
  fields: [
    {
      key: 'environment',
      label: 'Environment',
      type: 'select',
      options: ['sandbox', 'production'],
      default: 'production',
    },
    { key: 'client_id', label: 'Client ID', type: 'text', required: true },
    { key: 'client_secret', label: 'Client secret', type: 'secret', required: true, pattern: 'cs_[a-z0-9]+' },
    { key: 'private_key', label: 'Private key', type: 'secret', multiline: true },
    { key: 'timeout', label: 'Timeout', type: 'number' },
    { key: 'verbose', label: 'Verbose', type: 'boolean', default: false },
  ],
  token: { url: 'https://auth.acme.test/token' },
  allowedUrls: ['https://api.acme.test/'],
};

function messageOf(input: Record<string, unknown>): string {
  try {
    validateFieldValues(def, input);
  } catch (caught) {
    expect(caught).toMatchObject({ kind: 'invalid_input', code: 'invalid_field' });
    return (caught as Error).message;
  }
  return 'no error';
}

describe('validateFieldValues', () => {
  it('applies defaults, coerces string forms of numbers and booleans, and leaves out empty optional fields', () => {
    expect(
      validateFieldValues(def, {
        client_id: 'abc',
        client_secret: 'cs_1',
        timeout: '42',
        verbose: 'TRUE',
        private_key: '',
      }),
    ).toEqual({ environment: 'production', client_id: 'abc', client_secret: 'cs_1', timeout: 42, verbose: true });
  });

  it('when a value breaks a rule, it names the field and the fix without repeating the value', () => {
    expect(messageOf({ client_id: 'a', client_secret: 'cs_1', environment: 'staging' })).toBe(
      'fields.environment: must be one of sandbox, production',
    );
    const message = messageOf({ client_id: 'a', client_secret: 'sk_live_secret' });
    expect(message).toBe('fields.client_secret: must match the pattern cs_[a-z0-9]+');
    expect(message).not.toContain('sk_live_secret');
    expect(messageOf({ client_id: 'a', client_secret: 'cs_1', timeout: 'soon', verbose: 'yes' })).toBe(
      'fields.timeout: must be a number, such as 42; fields.verbose: must be true or false',
    );
  });

  it('when required fields are missing or unknown keys are given, it lists all problems', () => {
    expect(messageOf({ client_ib: 'a' })).toBe(
      'fields.client_ib: unknown field; did you mean client_id?; fields.client_id: required; enter the Client ID; fields.client_secret: required; enter the Client secret',
    );
  });

  it('when a single-line field contains a line break, it refuses; multiline fields accept PEM text', () => {
    expect(messageOf({ client_id: 'a\nInjected: x', client_secret: 'cs_1' })).toMatch(
      /^fields.client_id: must be a single line/,
    );
    const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n';
    expect(validateFieldValues(def, { client_id: 'a', client_secret: 'cs_1', private_key: pem }).private_key).toBe(pem);
  });

  it('when an opened value holds text no store keeps (NUL, a lone surrogate), it names the field and the character', () => {
    expect(messageOf({ client_id: 'a', client_secret: 'cs_1', private_key: 'key\uD800' })).toBe(
      'fields.private_key: must not contain a lone surrogate (half of a UTF-16 pair, \\ud800-\\udfff); send well-formed Unicode',
    );
    expect(messageOf({ client_id: 'a\u0000', client_secret: 'cs_1' })).toBe(
      'fields.client_id: must not contain the NUL character (\\u0000); remove it',
    );
    // A pair of surrogates is one character, not two halves: emoji stay.
    expect(validateFieldValues(def, { client_id: 'a😀', client_secret: 'cs_1' }).client_id).toBe('a😀');
  });
});

describe('secretFieldKeys', () => {
  it('lists the secret fields', () => {
    expect(secretFieldKeys(def)).toEqual(['client_secret', 'private_key']);
  });
});

describe('field patterns and lengths', () => {
  const hostile: ConnectorDefinition = {
    ...def,
    fields: [
      { key: 'client_id', label: 'Client ID', type: 'text', required: true, pattern: '(a+)+b' },
      { key: 'private_key', label: 'Private key', type: 'secret', multiline: true },
    ],
  };

  it('a backtracking-prone pattern runs in linear time on RE2 and still refuses what does not match', () => {
    // On a backtracking engine this value against (a+)+b takes longer than the universe's age.
    expect(() => validateFieldValues(hostile, { client_id: `${'a'.repeat(4000)}!` })).toThrow(
      'fields.client_id: must match the pattern (a+)+b',
    );
    expect(validateFieldValues(hostile, { client_id: 'aaab' }).client_id).toBe('aaab');
  });

  it('values longer than the documented caps are refused, naming the cap', () => {
    expect(() => validateFieldValues(def, { client_id: 'a'.repeat(4097), client_secret: 'cs_1' })).toThrow(
      'fields.client_id: must be at most 4096 characters',
    );
    const key = `${'k\n'.repeat(32_769)}`;
    expect(() => validateFieldValues(def, { client_id: 'a', client_secret: 'cs_1', private_key: key })).toThrow(
      'fields.private_key: must be at most 65536 characters',
    );
  });

  it('a pattern RE2 cannot compile (lookaround, backreference) is refused at validation', () => {
    for (const pattern of ['(?=a)a', '(a)\\1']) {
      const result = validateDefinition({ ...hostile, fields: [{ ...hostile.fields[0]!, pattern }] });
      expect(result.ok).toBe(false);
      expect(result.ok ? [] : result.issues.map((issue) => formatIssue(issue))[0]).toMatch(
        /^fields\[0\]\.pattern: not a valid regular expression \(.*RE2 syntax, without lookaround or backreferences\); fix the pattern$/,
      );
    }
  });
});
