/** Cross-field rules of a definition that zod's shape check cannot express (templates: `check-templates.ts`). */

import { isTransportHeader } from '../http/headers.js';
import { checkFieldValue, fieldPattern } from './fields.js';
import { type DefinitionIssue, error, type PathSegment, warning } from './issues.js';
import { BUDGET_SCOPES, type ConnectorDefinition, type FieldDefinition } from './schema.js';
import { FORBIDDEN_PATH_SEGMENTS } from './templates.js';

/** Names that templates use for other things than fields. */
const RESERVED_KEYS = new Set(['access_token', 'token_type', 'token', 'test']);
const TEXT_TYPES = new Set(['text', 'secret']);
const DEFAULT_TYPES: Record<FieldDefinition['type'], string> = {
  text: 'string',
  secret: 'string',
  select: 'string',
  number: 'number',
  boolean: 'boolean',
};
/** Token request parameters the client sets itself; a definition setting them would send them twice. */
const BUILT_IN_PARAMS: Record<string, string> = {
  grant_type: 'use token.grantType',
  scope: 'use token.scopes',
  client_id: 'the client sends it per clientAuth',
  client_secret: 'the client sends it per clientAuth',
  client_assertion: 'the client sends it for private_key_jwt',
  client_assertion_type: 'the client sends it for private_key_jwt',
};
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function checkDefault(field: FieldDefinition, path: PathSegment[]): DefinitionIssue[] {
  if (field.default === undefined) return [];
  if (field.type === 'secret') {
    return [error(path, 'a secret field cannot have a default: definitions are shared; remove it')];
  }
  if (typeof field.default !== DEFAULT_TYPES[field.type]) {
    return [error(path, `must be a ${DEFAULT_TYPES[field.type]} for a ${field.type} field`)];
  }
  const check = checkFieldValue(field, field.default);
  return check.ok ? [] : [error(path, check.message)];
}

function checkField(field: FieldDefinition, index: number, seen: Set<string>): DefinitionIssue[] {
  const at = (key: string): PathSegment[] => ['fields', index, key];
  const issues: DefinitionIssue[] = [];
  if (seen.has(field.key)) issues.push(error(at('key'), `duplicate key ${field.key}; field keys must be unique`));
  seen.add(field.key);
  if (RESERVED_KEYS.has(field.key)) {
    issues.push(error(at('key'), `${field.key} is reserved for {{${field.key}…}} templates; choose another key`));
  }
  if (field.type === 'select' && field.options === undefined) {
    // Without options the default cannot be checked either.
    return [
      ...issues,
      error(at('options'), 'missing; a select field needs options, such as ["sandbox", "production"]'),
    ];
  }
  if (field.type === 'select') {
    // An option the value check refuses (a line break) can be picked in a form and then never be accepted.
    field.options?.forEach((option, i) => {
      const check = checkFieldValue(field, option);
      if (!check.ok) issues.push(error(['fields', index, 'options', i], `${check.message}; fix the option`));
    });
  }
  if (field.type !== 'select' && field.options !== undefined) {
    issues.push(error(at('options'), 'only select fields have options; remove it or set type "select"'));
  }
  if (!TEXT_TYPES.has(field.type)) {
    for (const key of ['pattern', 'multiline'] as const) {
      if (field[key] !== undefined) issues.push(error(at(key), `only text and secret fields have ${key}; remove it`));
    }
  }
  if (field.pattern !== undefined) {
    try {
      fieldPattern(field.pattern);
    } catch (caught) {
      const reason = caught instanceof Error ? caught.message : String(caught);
      return [
        ...issues,
        error(
          at('pattern'),
          `not a valid regular expression (${reason}; patterns use RE2 syntax, without lookaround or backreferences); fix the pattern`,
        ),
      ];
    }
  }
  return [...issues, ...checkDefault(field, at('default'))];
}

export function checkFields(fields: readonly FieldDefinition[]): DefinitionIssue[] {
  const seen = new Set<string>();
  return fields.flatMap((field, index) => checkField(field, index, seen));
}

/**
 * A credential field left empty fails every connect, so the fields client authentication reads must be required
 * (or, for the client id, have a default).
 */
function checkCredentialRequired(def: ConnectorDefinition, method: string): DefinitionIssue[] {
  return def.fields.flatMap((field, i) => {
    if (!credentialFieldKeys(method).has(field.key) || field.required || field.default !== undefined) return [];
    return [error(['fields', i, 'required'], `clientAuth ${method} always needs ${field.key}; set required: true`)];
  });
}

/** PEM fields are checked where their templates are (`check-templates.ts`). */
function credentialFieldKeys(method: string): Set<string> {
  const secretless = method === 'private_key_jwt' || method === 'tls_client_auth';
  return new Set(secretless ? ['client_id'] : ['client_id', 'client_secret']);
}

/** The client id is always sent; a client secret too, except with private_key_jwt and tls_client_auth. */
export function checkClientAuth(def: ConnectorDefinition): DefinitionIssue[] {
  const method = def.token.clientAuth ?? 'basic';
  const issues: DefinitionIssue[] = checkCredentialRequired(def, method);
  const index = (key: string) => def.fields.findIndex((field) => field.key === key);
  if (index('client_id') === -1) {
    issues.push(
      error(['fields'], `add a field with key client_id (the OAuth client id); clientAuth ${method} sends it`),
    );
  }
  if (method === 'basic' || method === 'basic_raw' || method === 'body') {
    const secret = index('client_secret');
    if (secret === -1) {
      issues.push(error(['fields'], `add a secret field with key client_secret; clientAuth ${method} sends it`));
    } else if (def.fields[secret]?.type !== 'secret') {
      issues.push(error(['fields', secret, 'type'], 'client_secret must be a secret field; set type "secret"'));
    }
    if (method === 'body' && def.token.format === 'query') {
      issues.push(
        error(
          ['token', 'format'],
          'format query with clientAuth body would put the client secret in the URL; use form or json',
        ),
      );
    }
  }
  const unused = [
    ['privateKey', 'private_key_jwt'],
    ['assertionAudience', 'private_key_jwt'],
    ['assertionAlgorithm', 'private_key_jwt'],
    ['assertionKeyId', 'private_key_jwt'],
    ['clientCertificate', 'tls_client_auth'],
    ['clientPrivateKey', 'tls_client_auth'],
  ] as const;
  for (const [key, needs] of unused) {
    if (def.token[key] !== undefined && method !== needs) {
      issues.push(warning(['token', key], `ignored unless clientAuth is ${needs}; remove it or set clientAuth`));
    }
  }
  return issues;
}

function checkDotPath(path: PathSegment[], value: string | undefined): DefinitionIssue[] {
  if (value === undefined) return [];
  const segments = value.split('.');
  if (segments.some((segment) => segment === '')) {
    return [error(path, 'not a dot path; write keys separated by single dots, such as data.access_token')];
  }
  const forbidden = segments.find((segment) => FORBIDDEN_PATH_SEGMENTS.has(segment));
  if (forbidden) return [error(path, `${forbidden} is not allowed in paths (__proto__, constructor, prototype)`)];
  return [];
}

function checkHeaderNames(path: PathSegment[], headers: Record<string, string> | undefined): DefinitionIssue[] {
  return Object.keys(headers ?? {}).flatMap((name) => {
    if (!HEADER_NAME.test(name)) return [error([...path, name], 'not a valid header name; use letters, digits and -')];
    if (isTransportHeader(name)) {
      return [
        error(
          [...path, name],
          'host, content-length, proxy-* and hop-by-hop headers are set by the transport; remove this header',
        ),
      ];
    }
    return [];
  });
}

/** A scope template without a variable would be one budget per tenant; `connector` says what is usually meant. */
function checkScopes(def: ConnectorDefinition): DefinitionIssue[] {
  return (def.rateLimits ?? []).flatMap(({ scope }, i) =>
    scope === undefined || (BUDGET_SCOPES as readonly string[]).includes(scope) || scope.includes('{{')
      ? []
      : [
          error(
            ['rateLimits', i, 'scope'],
            `use "connection", "connector" or a template over the connection's values, such as "{{token.instance_url}}"`,
          ),
        ],
  );
}

/** Paths into responses, header names, parameters the client sets itself, the name and the docs link. */
export function checkOther(def: ConnectorDefinition): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  for (const [key, value] of Object.entries(def.token.response ?? {})) {
    if (key !== 'expiresInUnit') issues.push(...checkDotPath(['token', 'response', key], value));
  }
  issues.push(...checkDotPath(['expiredWhen', 'body', 'path'], def.expiredWhen?.body?.path));
  issues.push(...checkHeaderNames(['token', 'headers'], def.token.headers));
  issues.push(...checkHeaderNames(['test', 'headers'], def.test?.headers));
  issues.push(...checkHeaderNames(['requestDefaults', 'headers'], def.requestDefaults?.headers));
  for (const name of Object.keys(def.token.params ?? {})) {
    const fix = BUILT_IN_PARAMS[name];
    if (fix && Object.hasOwn(BUILT_IN_PARAMS, name)) {
      issues.push(error(['token', 'params', name], `set by the client; remove it (${fix})`));
    }
  }
  if (def.connectionName === undefined && def.name.includes('{{')) {
    issues.push(error(['name'], 'must not contain {{: the name starts the default connectionName; set connectionName'));
  }
  issues.push(...checkScopes(def));
  if (def.docsUrl !== undefined && !/^https?:$/.test(URL.parse(def.docsUrl)?.protocol ?? '')) {
    issues.push(error(['docsUrl'], 'not an absolute https URL, such as https://developer.example.com/oauth'));
  }
  return issues;
}
