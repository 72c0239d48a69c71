import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type DefinitionIssue,
  formatIssue,
  loadDefinitions,
  validateDefinition,
} from '../../src/definitions/validate.js';
import { providerConnector } from '../support/connectors.js';

// biome-ignore lint/suspicious/noExplicitAny: tests write invalid definitions on purpose, key by key.
type Draft = Record<string, any>;

/** A small valid definition; each test breaks one thing. */
function base(): Draft {
  return {
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
      { key: 'client_secret', label: 'Client secret', type: 'secret', required: true },
    ],
    token: { url: 'https://auth.{{environment}}.acme.test/oauth/token' },
    test: { url: 'https://api.{{environment}}.acme.test/v1/me' },
    allowedUrls: ['https://api.{{environment}}.acme.test/v1/'],
  };
}

function issuesOf(mutate: (def: Draft) => void): DefinitionIssue[] {
  const def = base();
  mutate(def);
  const result = validateDefinition(def);
  return result.ok ? result.warnings : result.issues;
}

function errorsOf(mutate: (def: Draft) => void): string[] {
  return issuesOf(mutate)
    .filter((issue) => issue.severity === 'error')
    .map((issue) => formatIssue(issue));
}

describe('validateDefinition', () => {
  it('when the definition is valid, it returns it without warnings', () => {
    const result = validateDefinition(base());
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it('when a key is misspelled, it names the path and suggests the right key', () => {
    expect(errorsOf((d) => (d.token.clientAtuh = 'body'))).toEqual([
      'token.clientAtuh: unknown key; did you mean clientAuth?',
    ]);
    expect(errorsOf((d) => (d.allowedUrl = []))).toContain('allowedUrl: unknown key; did you mean allowedUrls?');
  });

  it('when an unknown key is not close to any, it lists the allowed keys', () => {
    expect(errorsOf((d) => (d.fields[1].colour = 'red'))).toEqual([
      expect.stringMatching(
        /^fields\[1\]\.colour: unknown key; allowed keys are key, label, type, multiline, required/,
      ),
    ]);
  });

  it('when an enum value is misspelled, it lists the options and suggests one', () => {
    expect(errorsOf((d) => (d.token.clientAuth = 'bsic'))).toEqual([
      'token.clientAuth: must be one of basic, basic_raw, body, private_key_jwt, tls_client_auth; did you mean basic?',
    ]);
  });

  it('when a required key is missing or has the wrong type, it says what to add', () => {
    expect(errorsOf((d) => delete d.token.url)).toEqual(['token.url: missing; add a string']);
    expect(errorsOf((d) => (d.fields = 'client_id'))).toEqual(['fields: must be an array, not a string']);
    expect(errorsOf((d) => (d.allowedUrls = []))).toEqual(['allowedUrls: add at least 1 item']);
  });

  it('when a variable is misspelled, it suggests the field', () => {
    expect(errorsOf((d) => (d.token.url = 'https://auth.{{enviroment}}.acme.test/oauth/token'))).toEqual([
      'token.url: unknown variable {{enviroment}}; did you mean {{environment}}?',
    ]);
  });

  it('when a secret field is used in a URL, allowed URL or static query, it refuses', () => {
    expect(errorsOf((d) => (d.test.url = 'https://api.acme.test/v1/{{client_secret}}'))).toEqual([
      'test.url: secret field {{client_secret}} must not appear in a URL; send it in a header or the body',
    ]);
    expect(errorsOf((d) => (d.allowedUrls = ['https://api.acme.test/{{client_secret}}/']))).toHaveLength(1);
    expect(errorsOf((d) => (d.requestDefaults = { query: { key: '{{client_secret}}' } }))).toEqual([
      expect.stringContaining('requestDefaults.query.key: secret field {{client_secret}} must not appear in query'),
    ]);
    expect(errorsOf((d) => (d.test.query = { key: '{{client_secret}}' }))).toHaveLength(1);
  });

  it('when format is query, secret values in token parameters are refused, and body client auth too', () => {
    expect(
      errorsOf((d) => {
        d.token.format = 'query';
        d.token.clientAuth = 'body';
      }),
    ).toEqual([expect.stringMatching(/^token\.format: format query with clientAuth body would put the client secret/)]);
  });

  it('when a URL uses plain http to a non-loopback host, it asks for https', () => {
    const message = 'use https: (plain http: is allowed only for localhost, 127.0.0.0/8 and [::1])';
    expect(errorsOf((d) => (d.token.url = 'http://auth.acme.test/token'))).toEqual([`token.url: ${message}`]);
    expect(errorsOf((d) => (d.allowedUrls = ['http://{{environment}}.acme.test/']))).toEqual([
      `allowedUrls[0]: ${message}`,
    ]);
    for (const host of ['localhost:8080', '127.0.0.1', '127.9.9.9:1', '[::1]:3000']) {
      expect(errorsOf((d) => (d.token.url = `http://${host}/token`))).toEqual([]);
    }
  });

  it('when an allowed URL has no path prefix or has a query, it says how to fix it', () => {
    expect(errorsOf((d) => (d.allowedUrls = ['https://api.acme.test']))).toEqual([
      'allowedUrls[0]: add a path prefix, such as https://api.acme.test/',
    ]);
    expect(errorsOf((d) => (d.allowedUrls = ['https://api.acme.test/v1/?a=b']))).toEqual([
      'allowedUrls[0]: an allowed URL is a prefix; remove the query and fragment',
    ]);
  });

  it('when a field supplies the origin of a URL, it refuses; a token value at the start may', () => {
    expect(errorsOf((d) => (d.allowedUrls = ['{{environment}}/v1/']))).toEqual([
      expect.stringMatching(/^allowedUrls\[0\]: \{\{environment\}\} cannot supply the scheme or host/),
    ]);
    expect(errorsOf((d) => (d.allowedUrls = ['{{token.instance_url}}/services/data/']))).toEqual([]);
    expect(errorsOf((d) => (d.allowedUrls = ['https://x.test/{{token.instance_url}}/']))).toEqual([]);
  });

  it('when a field pattern does not compile, it names the pattern', () => {
    expect(errorsOf((d) => (d.fields[1].pattern = 'v(['))).toEqual([
      expect.stringMatching(/^fields\[1\]\.pattern: not a valid regular expression \(.*\); fix the pattern$/),
    ]);
  });

  it('when a path segment is __proto__, constructor or prototype, it refuses', () => {
    for (const template of ['{{__proto__}}', '{{token.__proto__}}', '{{test.a.constructor}}', '{{token.prototype}}']) {
      expect(errorsOf((d) => (d.connectionName = template))).toEqual([
        expect.stringMatching(
          /^connectionName: \{\{.*\}\} uses (__proto__|constructor|prototype); .* not allowed in paths$/,
        ),
      ]);
    }
    expect(errorsOf((d) => (d.token.response = { accessToken: 'data.__proto__.x' }))).toEqual([
      'token.response.accessToken: __proto__ is not allowed in paths (__proto__, constructor, prototype)',
    ]);
  });

  it('when a value is not known yet at that moment, it says so', () => {
    expect(errorsOf((d) => (d.token.headers = { 'X-Id': '{{test.id}}' }))).toEqual([
      'token.headers["X-Id"]: {{test.id}} is not known yet when the token is requested',
    ]);
    expect(errorsOf((d) => (d.token.params = { a: '{{access_token}}' }))).toHaveLength(1);
    expect(errorsOf((d) => (d.test.url = 'https://api.acme.test/{{test.id}}'))).toEqual([
      'test.url: {{test.id}} is not known yet during the test request',
    ]);
    expect(errorsOf((d) => (d.allowedUrls = ['https://api.acme.test/{{access_token}}/']))).toEqual([
      'allowedUrls[0]: {{access_token}} cannot appear in a URL; send the token in a header (requestDefaults.headers)',
    ]);
  });

  it('when {{test.…}} is used without a test request, it asks for one', () => {
    expect(
      errorsOf((d) => {
        delete d.test;
        d.uniqueIdentifier = '{{test.account_id}}';
      }),
    ).toEqual([
      'uniqueIdentifier: {{test.account_id}} needs a test request; add "test" to read values from its response',
    ]);
  });

  it('when a secret or the access token would end up in a connection name, it refuses', () => {
    expect(errorsOf((d) => (d.connectionName = 'Acme {{client_secret}}'))).toHaveLength(1);
    expect(errorsOf((d) => (d.uniqueIdentifier = '{{access_token}}'))).toEqual([
      'uniqueIdentifier: {{access_token}} is a secret, and connection names are shown',
    ]);
  });

  it('when a static value looks like a credential, it warns but accepts', () => {
    const def = base();
    def.requestDefaults = {
      headers: { Authorization: 'Bearer abcdefghijklmnop', 'X-Api-Key': 'hard-coded' },
      query: { sig: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc' },
    };
    const result = validateDefinition(def);
    expect(result.ok).toBe(true);
    const paths = result.ok ? result.warnings.map((w) => `${w.severity} ${w.path}`) : [];
    expect(paths).toEqual([
      'warning requestDefaults.headers.Authorization',
      'warning requestDefaults.headers["X-Api-Key"]',
      'warning requestDefaults.query.sig',
    ]);
  });

  it('when a URL names an address that is not public, in any spelling, it warns but accepts', () => {
    const warned = (url: string) =>
      issuesOf((d) => {
        d.token.url = url;
      }).map((issue) => formatIssue(issue));
    expect(warned('https://10.0.0.5/oauth/token')).toEqual([
      'token.url: warning: 10.0.0.5 is private (RFC 1918), not a public address: workers refuse requests to it ' +
        '(egress_denied) unless EGRESS_ALLOWED_NETWORKS lists its network',
    ]);
    expect(warned('https://2130706433/oauth/token')).toEqual([expect.stringMatching(/127\.0\.0\.1 is loopback/)]);
    expect(warned('https://[::ffff:a9fe:a9fe]/t')).toEqual([
      expect.stringMatching(/is link-local .*\(IPv4-mapped 169\.254\.169\.254\)/),
    ]);
    expect(warned('http://localhost:8080/t')).toEqual([
      expect.stringMatching(/^token\.url: warning: localhost is loopback/),
    ]);
    expect(
      issuesOf((d) => {
        d.allowedUrls = ['https://[fd00::1]/v1/'];
      }).map((issue) => formatIssue(issue)),
    ).toEqual([expect.stringMatching(/^allowedUrls\[0\]: warning: \[fd00::1\] is unique local/)]);
    // Public literals and templated hosts are the egress policy's to judge at connect time.
    expect(warned('https://8.8.8.8/t')).toEqual([]);
    expect(warned('https://{{environment}}.acme.test/t')).toEqual([]);
  });

  it('when the Authorization header uses {{access_token}}, it does not warn', () => {
    expect(issuesOf((d) => (d.requestDefaults = { headers: { Authorization: 'Bearer {{access_token}}' } }))).toEqual(
      [],
    );
  });

  it('when fields are inconsistent, it names the field and the fix', () => {
    expect(errorsOf((d) => d.fields.push({ key: 'client_id', label: 'Again', type: 'text', required: true }))).toEqual([
      'fields[3].key: duplicate key client_id; field keys must be unique',
    ]);
    expect(errorsOf((d) => delete d.fields[0].options)).toEqual([
      'fields[0].options: missing; a select field needs options, such as ["sandbox", "production"]',
    ]);
    expect(errorsOf((d) => (d.fields[0].default = 'prod'))).toEqual([
      'fields[0].default: must be one of sandbox, production',
    ]);
    expect(errorsOf((d) => d.fields.push({ key: 'port', label: 'Port', type: 'number', default: '443' }))).toEqual([
      'fields[3].default: must be a number for a number field',
    ]);
    expect(errorsOf((d) => d.fields.push({ key: 'token', label: 'Token', type: 'text' }))).toEqual([
      'fields[3].key: token is reserved for {{token…}} templates; choose another key',
    ]);
    expect(errorsOf((d) => (d.fields[2].default = 'x'))).toEqual([
      'fields[2].default: a secret field cannot have a default: definitions are shared; remove it',
    ]);
  });

  it('when the client authentication needs fields that are missing, it says which to add', () => {
    expect(errorsOf((d) => d.fields.splice(2, 1))).toEqual([
      'fields: add a secret field with key client_secret; clientAuth basic sends it',
    ]);
    expect(errorsOf((d) => (d.token.clientAuth = 'private_key_jwt'))).toEqual([
      'token.privateKey: unknown variable {{private_key}}; it is the default for private_key_jwt; add a secret multiline field private_key or set token.privateKey',
    ]);
    expect(
      errorsOf((d) => {
        d.token.clientAuth = 'private_key_jwt';
        d.token.privateKey = '{{client_id}}';
      }),
    ).toEqual(['token.privateKey: {{client_id}} is a text field; a private key must come from a secret field']);
  });

  it('when a token parameter is one the client sets itself, it refuses', () => {
    expect(errorsOf((d) => (d.token.params = { grant_type: 'password' }))).toEqual([
      'token.params.grant_type: set by the client; remove it (use token.grantType)',
    ]);
  });

  it('when the input is not an object at all, it reports the root', () => {
    expect(validateDefinition(42)).toEqual({
      ok: false,
      issues: [{ path: '(root)', message: 'must be an object, not a number', severity: 'error' }],
    });
  });
});

describe('formatIssue', () => {
  it('when a source is given, it prefixes the file', () => {
    const issue: DefinitionIssue = { path: 'token.url', message: 'unknown variable {{x}}', severity: 'error' };
    expect(formatIssue(issue, 'examples/bad.json')).toBe('examples/bad.json: token.url: unknown variable {{x}}');
    expect(formatIssue({ ...issue, severity: 'warning' })).toBe('token.url: warning: unknown variable {{x}}');
  });
});

describe('loadDefinitions', () => {
  it('when given a directory, it validates its *.json files sorted by name, reporting bad JSON by file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'definitions-'));
    await writeFile(join(dir, 'b.json'), JSON.stringify(base()));
    await writeFile(join(dir, 'a.json'), '{ "key": ');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const results = await loadDefinitions(dir);
    expect(results.map((r) => [r.file, r.result.ok])).toEqual([
      [join(dir, 'a.json'), false],
      [join(dir, 'b.json'), true],
    ]);
    const bad = results[0]!.result;
    expect(bad.ok ? [] : bad.issues.map((i) => formatIssue(i, 'a.json'))).toEqual([
      expect.stringMatching(/^a\.json: \(root\): not valid JSON \(.+\)$/),
    ]);
    expect(await loadDefinitions(join(dir, 'b.json'))).toHaveLength(1);
  });
});

describe('text no store can keep', () => {
  it('when a label holds the NUL character, it is an error at that path', () => {
    const definition = providerConnector('https://auth.example.com');
    (definition.fields[1] as { label: string }).label = 'Client\u0000Secret';
    const result = validateDefinition(definition);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map((issue) => formatIssue(issue))).toContain(
      'fields[1].label: must not contain the NUL character (\\u0000); remove it',
    );
  });

  it('when a key or a help text holds a lone surrogate, it is an error at that path, naming the character', () => {
    const definition = providerConnector('https://auth.example.com');
    (definition.fields[0] as { help: string }).help = 'Portal \udc00';
    definition.requestDefaults = { headers: { 'X-\ud800': 'x' } };
    const result = validateDefinition(definition);
    expect(!result.ok && result.issues.map((issue) => formatIssue(issue))).toEqual(
      expect.arrayContaining([
        'fields[0].help: must not contain a lone surrogate (half of a UTF-16 pair, \\ud800-\\udfff); send well-formed Unicode',
        expect.stringMatching(/^requestDefaults\.headers.*: the key must not contain a lone surrogate/),
      ]),
    );
  });
});
