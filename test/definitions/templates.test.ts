import { describe, expect, it } from 'vitest';
import {
  renderOptional,
  renderText,
  renderUrl,
  type TemplateContext,
  templateVariables,
} from '../../src/definitions/templates.js';

const ctx = (fields: TemplateContext['fields'], rest: Omit<TemplateContext, 'fields'> = {}): TemplateContext => ({
  fields,
  ...rest,
});

function urlError(template: string, context: TemplateContext): string {
  try {
    renderUrl(template, context);
  } catch (caught) {
    const { code, message } = caught as { code: string; message: string };
    return `${code}: ${message}`;
  }
  return 'no error';
}

describe('templateVariables', () => {
  it('lists each variable once, in order, with whitespace inside braces allowed', () => {
    expect(templateVariables('{{ environment }}/{{token.instance_url}}/{{access_token}}/{{environment}}')).toEqual([
      'environment',
      'token.instance_url',
      'access_token',
    ]);
  });

  it('when a variable is malformed or uses a prototype path, it throws invalid_template', () => {
    for (const template of ['{{a b}}', '{{x', '{{token.__proto__}}', '{{constructor}}', '{{test.a.prototype}}']) {
      expect(() => templateVariables(template)).toThrow(expect.objectContaining({ code: 'invalid_template' }));
    }
  });
});

describe('renderText', () => {
  it('renders fields, token values, test values and array indexes; missing and object values render empty', () => {
    const context = ctx(
      { client_id: 'abc', port: 443, on: true },
      { access_token: 'T', token_type: 'Bearer', token: { a: { b: 'deep' } }, test: { items: [{ name: 'first' }] } },
    );
    expect(renderText('{{client_id}} {{port}} {{on}} {{token_type}} {{access_token}}', context)).toBe(
      'abc 443 true Bearer T',
    );
    expect(renderText('{{token.a.b}}|{{test.items.0.name}}|{{test.items}}|{{missing}}|{{token.a.x}}', context)).toBe(
      'deep|first|||',
    );
  });

  it('reads own properties only: inherited names and array properties render empty', () => {
    const context = ctx({}, { token: { list: [1, 2] }, test: Object.create({ inherited: 'no' }) });
    expect(renderText('{{test.inherited}}{{token.list.length}}{{token.toString}}', context)).toBe('');
  });
});

describe('renderOptional', () => {
  it('when every variable of a variables-only template is empty, it leaves the parameter out', () => {
    const context = ctx({ region: '', audience: 'https://api.test/' });
    expect(renderOptional('{{region}}', context)).toBeUndefined();
    expect(renderOptional(' {{region}} {{missing}} ', context)).toBeUndefined();
    expect(renderOptional('{{audience}}', context)).toBe('https://api.test/');
    expect(renderOptional('region-{{region}}', context)).toBe('region-');
    expect(renderOptional('static', context)).toBe('static');
  });
});

describe('renderUrl', () => {
  it('encodes values for the path and the query', () => {
    const context = ctx({ id: 'a/b?c=d&e#f ü', tenant: 'contoso.onmicrosoft.com' });
    expect(renderUrl('https://login.test/{{tenant}}/items/{{id}}?q={{id}}', context)).toBe(
      'https://login.test/contoso.onmicrosoft.com/items/a%2Fb%3Fc%3Dd%26e%23f%20%C3%BC?q=a%2Fb%3Fc%3Dd%26e%23f%20%C3%BC',
    );
  });

  it('when a field value is a host label or dotted labels, it lands in the host', () => {
    expect(renderUrl('https://{{domain}}/oauth/token', ctx({ domain: 'my-tenant.us.auth0.com' }))).toBe(
      'https://my-tenant.us.auth0.com/oauth/token',
    );
    expect(renderUrl('https://api.{{env}}.acme.test:{{port}}/v1/', ctx({ env: 'sandbox', port: 8443 }))).toBe(
      'https://api.sandbox.acme.test:8443/v1/',
    );
  });

  it.each([
    ['evil.test/'],
    ['a@evil.test'],
    ['..'],
    ['a..b'],
    ['.evil.test'],
    ['evil.test%2f'],
    ['%2fevil'],
    ['ｅvil。test'],
    ['evil．test'],
    ['evil｡test'],
    ['evil.test:443'],
    ['evil.test\\x'],
    ['evil.test#'],
    [''],
  ])('when a host field value is %j, it refuses it', (value) => {
    expect(urlError('https://{{domain}}/v1/', ctx({ domain: value }))).toMatch(
      /^unsafe_url: \{\{domain\}\} must be a host name/,
    );
    expect(urlError('https://api.{{domain}}.acme.test/', ctx({ domain: value }))).toMatch(/^unsafe_url: /);
  });

  it('when a field value would turn the host into an IP address, it refuses', () => {
    expect(urlError('https://{{domain}}/', ctx({ domain: '169.254.169.254' }))).toBe(
      'unsafe_url: {{domain}} cannot turn the host into an IP address; give a host name',
    );
  });

  it('when a path value is . or .., it refuses rather than leave the prefix', () => {
    expect(urlError('https://api.test/v1/{{id}}/x', ctx({ id: '..' }))).toBe(
      'unsafe_url: path segments . and .. are not allowed',
    );
    expect(urlError('https://api.test/v1/.{{id}}/x', ctx({ id: '.' }))).toBe(
      'unsafe_url: path segments . and .. are not allowed',
    );
    expect(renderUrl('https://api.test/v1/{{id}}.json', ctx({ id: '.' }))).toBe('https://api.test/v1/..json');
  });

  it('when a token value starts the template, it supplies the origin', () => {
    const context = ctx({}, { token: { instance_url: 'https://na1.salesforce.test/' } });
    expect(renderUrl('{{token.instance_url}}/services/data/', context)).toBe(
      'https://na1.salesforce.test/services/data/',
    );
    const loopback = ctx({}, { test: { base: 'http://127.0.0.1:4000' } });
    expect(renderUrl('{{test.base}}/api', loopback)).toBe('http://127.0.0.1:4000/api');
  });

  it('when a token value supplies an origin that is not https, or is not at the start, it is refused or encoded', () => {
    const at = (instance_url: unknown) => ctx({}, { token: { instance_url } });
    expect(urlError('{{token.instance_url}}/x', at('http://evil.test'))).toMatch(
      /^unsafe_url: \{\{token.instance_url\}\}: use https:/,
    );
    expect(urlError('{{token.instance_url}}/x', at('javascript:alert(1)'))).toMatch(/^unsafe_url: /);
    expect(urlError('{{token.instance_url}}/x', at('https://user:pw@evil.test'))).toMatch(/without credentials/);
    expect(urlError('{{token.instance_url}}/x', at(undefined))).toMatch(/is not an absolute URL/);
    expect(renderUrl('https://api.test/{{token.instance_url}}', at('https://evil.test'))).toBe(
      'https://api.test/https%3A%2F%2Fevil.test',
    );
    expect(urlError('{{token.instance_url}}.evil.test/', at('https://na1.test'))).toMatch(
      /must start with \/, \? or #/,
    );
  });

  it('when a field value would supply the scheme or origin, it refuses', () => {
    expect(urlError('{{base}}/v1', ctx({ base: 'https://evil.test' }))).toMatch(
      /^unsafe_url: \{\{base\}\} cannot supply the scheme or host/,
    );
    expect(urlError('http{{s}}://api.test/', ctx({ s: 's' }))).toBe(
      'unsafe_url: not an absolute URL; start it with https://',
    );
  });

  it('when the rendered URL is plain http to a non-loopback host, it refuses', () => {
    expect(urlError('http://api.test/', ctx({}))).toMatch(/^unsafe_url: use https:/);
    expect(renderUrl('http://localhost:8080/{{p}}', ctx({ p: 'x' }))).toBe('http://localhost:8080/x');
  });
});
