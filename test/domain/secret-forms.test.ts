import { describe, expect, it } from 'vitest';
import { buildApiRequest, renderDefaults } from '../../src/connections/api-request.js';
import { resolveConnector } from '../../src/definitions/resolve.js';
import { renderUrl } from '../../src/definitions/templates.js';
import { secretForms } from '../../src/domain/secret-forms.js';
import { providerConnector } from '../support/connectors.js';

/** A bearer token as RFC 6750's b64token allows it, plus a space and a quote that a client secret may hold. */
const AWKWARD = 'ab+c/d~e "f*g!h==';

describe('secretForms', () => {
  it('when a secret has only letters, digits, "-", "_" and ".", it has one form', () => {
    expect(secretForms('Tok_en-1.2')).toEqual(['Tok_en-1.2']);
  });

  it('lists each distinct form once, longest first', () => {
    const forms = secretForms(AWKWARD);
    expect(new Set(forms).size).toBe(forms.length);
    expect(forms).toEqual([...forms].sort((a, b) => b.length - a.length));
    expect(forms).toContain(AWKWARD);
    expect(forms).toContain(JSON.stringify(AWKWARD).slice(1, -1));
  });

  it('when a secret holds a lone surrogate, it lists the forms instead of throwing, as URLSearchParams sends it', () => {
    const forms = secretForms('key\uD800x');
    expect(forms).toContain('key%EF%BF%BDx');
    expect(forms).toContain(new URLSearchParams([['', 'key\uD800x']]).toString().slice(1));
  });

  it('holds the form a query default takes in the URL we send, and the form a URL template writes', () => {
    const forms = secretForms(AWKWARD);
    const definition = providerConnector('https://api.example.test');
    definition.requestDefaults = { query: { access_token: '{{access_token}}' } };
    const context = { fields: {}, access_token: AWKWARD };
    const defaults = renderDefaults(resolveConnector(definition), context);
    const sent = buildApiRequest(
      defaults,
      { method: 'GET', url: new URL('https://api.example.test/api/echo') },
      { timeoutMs: 1000, maxResponseBytes: 1000 },
    );
    expect(sent.url).not.toContain(AWKWARD);
    expect(forms.some((form) => form !== AWKWARD && sent.url.includes(`access_token=${form}`))).toBe(true);

    const templated = renderUrl('https://api.example.test/t/{{access_token}}', context);
    expect(forms.some((form) => form !== AWKWARD && templated.endsWith(`/t/${form}`))).toBe(true);
  });
});
