/**
 * Values a definition lets users enter must be values the worker can use: each case shows the worker refusing such a
 * value, then validation refusing the definition that would have invited it, and the fixed definition working.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderDefaults } from '../../src/connections/api-request.js';
import { tokenEndpointSpec } from '../../src/connections/token.js';
import { validateFieldValues } from '../../src/definitions/fields.js';
import { resolveConnector } from '../../src/definitions/resolve.js';
import type { ConnectorDefinition } from '../../src/definitions/schema.js';
import { formatIssue, validateDefinition } from '../../src/definitions/validate.js';
import { buildClientCredentialsRequest } from '../../src/oauth/token-request.js';
import { tlsFixture } from '../support/provider.js';

// biome-ignore lint/suspicious/noExplicitAny: tests write definitions with holes on purpose.
type Draft = Record<string, any>;

const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;

function jwtDefinition(keyField: Draft): Draft {
  return {
    key: 'jwt',
    name: 'JWT',
    fields: [{ key: 'client_id', label: 'Client ID', type: 'text', required: true }, keyField],
    token: {
      url: 'https://auth.example.com/oauth/token',
      clientAuth: 'private_key_jwt',
      privateKey: '{{signing_key}}',
    },
    allowedUrls: ['https://api.example.com/v1/'],
  };
}

function errors(draft: Draft): string[] {
  const result = validateDefinition(draft);
  return result.ok ? [] : result.issues.filter((i) => i.severity === 'error').map((i) => formatIssue(i));
}

function valid(draft: Draft): ConnectorDefinition {
  const result = validateDefinition(draft);
  if (!result.ok) throw new Error(result.issues.map((i) => formatIssue(i)).join('\n'));
  return result.definition;
}

describe('a definition that validates never refuses a value it asked for', () => {
  it('when a PEM private key comes from a field without multiline, validation refuses; with it, a connect signs', async () => {
    const single = { key: 'signing_key', label: 'Key', type: 'secret', required: true };
    // The hole: such a field refuses every PEM key the user pastes.
    expect(() =>
      validateFieldValues(jwtDefinition(single) as ConnectorDefinition, { client_id: 'app', signing_key: PEM }),
    ).toThrow(/fields.signing_key: must be a single line/);
    expect(errors(jwtDefinition(single))).toEqual([
      'token.privateKey: {{signing_key}} holds a PEM key or certificate, which spans lines; set multiline: true on the field signing_key',
    ]);

    const fixed = valid(jwtDefinition({ ...single, multiline: true }));
    const values = validateFieldValues(fixed, { client_id: 'app', signing_key: PEM });
    const request = await buildClientCredentialsRequest(
      tokenEndpointSpec(resolveConnector(fixed), { fields: values }, 1000),
    );
    expect(new URLSearchParams(String(request.body)).get('client_assertion')).toMatch(/^eyJ/);
  });

  it('when the default {{private_key}} field is not multiline, validation names the field', () => {
    const draft = jwtDefinition({ key: 'private_key', label: 'Key', type: 'secret', required: true });
    delete draft.token.privateKey;
    expect(errors(draft)).toEqual([
      'token.privateKey: {{private_key}} holds a PEM key or certificate, which spans lines; set multiline: true on the field private_key',
    ]);
  });

  it('when an mTLS certificate or its key comes from a single-line field, validation refuses both', () => {
    const draft: Draft = {
      key: 'mtls',
      name: 'mTLS',
      fields: [
        { key: 'client_id', label: 'Client ID', type: 'text', required: true },
        { key: 'client_certificate', label: 'Certificate', type: 'text', required: true },
        { key: 'client_private_key', label: 'Key', type: 'secret', required: true },
      ],
      token: { url: 'https://auth.example.com/oauth/token', clientAuth: 'tls_client_auth' },
      allowedUrls: ['https://api.example.com/v1/'],
    };
    expect(errors(draft)).toEqual([
      'token.clientCertificate: {{client_certificate}} holds a PEM key or certificate, which spans lines; set multiline: true on the field client_certificate',
      'token.clientPrivateKey: {{client_private_key}} holds a PEM key or certificate, which spans lines; set multiline: true on the field client_private_key',
    ]);
    for (const field of draft.fields.slice(1)) field.multiline = true;
    const values = validateFieldValues(valid(draft), {
      client_id: 'app',
      client_certificate: tlsFixture('client.crt'),
      client_private_key: tlsFixture('client.key'),
    });
    expect(String(values.client_certificate)).toContain('\n');
  });

  it('when a PEM field is optional, validation asks for required: every token request needs it', () => {
    expect(errors(jwtDefinition({ key: 'signing_key', label: 'Key', type: 'secret', multiline: true }))).toEqual([
      'token.privateKey: {{signing_key}} is needed for every token request; set required: true on signing_key',
    ]);
  });

  it('when a multiline field is used in a header, validation refuses: header values cannot hold line breaks', () => {
    const draft: Draft = {
      key: 'hdr',
      name: 'Header',
      fields: [
        { key: 'client_id', label: 'Client ID', type: 'text', required: true },
        { key: 'client_secret', label: 'Secret', type: 'secret', required: true },
        { key: 'note', label: 'Note', type: 'text', multiline: true },
      ],
      token: { url: 'https://auth.example.com/oauth/token', headers: { 'X-Note': '{{note}}' } },
      test: { url: 'https://api.example.com/v1/me', headers: { 'X-Note': '{{note}}' } },
      allowedUrls: ['https://api.example.com/v1/'],
      requestDefaults: { headers: { Authorization: 'Bearer {{access_token}}', 'X-Note': '{{note}}' } },
    };
    // The hole: the worker refuses the value the field invites.
    const accepted = { ...draft, token: { url: draft.token.url }, test: undefined };
    const definition = valid({ ...accepted, requestDefaults: undefined });
    const context = { fields: { note: 'two\nlines' }, access_token: 't' };
    expect(() =>
      renderDefaults(resolveConnector({ ...definition, requestDefaults: draft.requestDefaults }), context),
    ).toThrow(/must not contain CR, LF or NUL/);

    const message = (path: string) =>
      `${path}: {{note}} is a multiline field and a header value cannot hold line breaks; use a single-line field`;
    expect(errors(draft)).toEqual([
      message('token.headers["X-Note"]'),
      message('test.headers["X-Note"]'),
      message('requestDefaults.headers["X-Note"]'),
    ]);
  });

  it('when a multiline field supplies a URL host, validation refuses', () => {
    const draft: Draft = {
      key: 'host',
      name: 'Host',
      fields: [
        { key: 'client_id', label: 'Client ID', type: 'text', required: true },
        { key: 'client_secret', label: 'Secret', type: 'secret', required: true },
        { key: 'domain', label: 'Domain', type: 'text', required: true, multiline: true },
      ],
      token: { url: 'https://{{domain}}/oauth/token' },
      allowedUrls: ['https://api.example.com/v1/'],
    };
    expect(errors(draft)).toEqual([
      'token.url: {{domain}} is a multiline field and cannot supply the host; remove multiline',
    ]);
  });

  it('when a select option holds a line break, validation refuses the option no form could submit', () => {
    const draft: Draft = {
      key: 'sel',
      name: 'Select',
      fields: [
        { key: 'client_id', label: 'Client ID', type: 'text', required: true },
        { key: 'client_secret', label: 'Secret', type: 'secret', required: true },
        { key: 'region', label: 'Region', type: 'select', options: ['eu', 'us\n'] },
      ],
      token: { url: 'https://auth.example.com/oauth/token' },
      allowedUrls: ['https://api.example.com/v1/'],
    };
    const withoutOption = valid({
      ...draft,
      fields: [...draft.fields.slice(0, 2), { ...draft.fields[2], options: ['eu'] }],
    });
    const hole = { ...withoutOption, fields: draft.fields } as ConnectorDefinition;
    expect(() => validateFieldValues(hole, { client_id: 'a', client_secret: 'b', region: 'us\n' })).toThrow(
      /fields.region: must be a single line/,
    );
    expect(errors(draft)).toEqual([
      'fields[2].options[1]: must be a single line (set multiline: true for PEM keys and certificates); fix the option',
    ]);
  });

  it('when the client id or secret is optional, validation asks for required: every token request sends them', () => {
    const draft: Draft = {
      key: 'opt',
      name: 'Optional',
      fields: [
        { key: 'client_id', label: 'Client ID', type: 'text' },
        { key: 'client_secret', label: 'Secret', type: 'secret' },
      ],
      token: { url: 'https://auth.example.com/oauth/token' },
      allowedUrls: ['https://api.example.com/v1/'],
    };
    expect(errors(draft)).toEqual([
      'fields[0].required: clientAuth basic always needs client_id; set required: true',
      'fields[1].required: clientAuth basic always needs client_secret; set required: true',
    ]);
    draft.fields[0].default = 'shared-app';
    draft.fields[1].required = true;
    expect(errors(draft)).toEqual([]);
  });
});
