import { describe, expect, it } from 'vitest';
import { looksSecretName } from '../../src/domain/secret-names.js';
import { EXCERPT_INPUT_LIMIT, excerpt } from '../../src/oauth/excerpt.js';
import { stripHtml } from '../../src/oauth/strip-html.js';

const SECRET = 'Cl1ent-Secret/With+Reserved&Chars';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj\n-----END PRIVATE KEY-----\n';
const ACCESS = 'at-0123456789-access';
const REFRESH = 'rt-0123456789-refresh';

describe('excerpt', () => {
  it('removes every secret of the connection, as is, URL-encoded, form-encoded or JSON-escaped', () => {
    const forms = [SECRET, encodeURIComponent(SECRET), JSON.stringify(KEY).slice(1, -1), KEY, ACCESS, REFRESH];
    const text = `refused ${forms.join(' and ')} here`;
    const out = excerpt(text, 1000, [SECRET, KEY, ACCESS, REFRESH]);
    for (const value of [SECRET, encodeURIComponent(SECRET), 'MIIEvQIBADAN', ACCESS, REFRESH]) {
      expect(out).not.toContain(value);
    }
    expect(out).toMatch(/^refused \[redacted\] and/);
  });

  it('reads only the first few KiB of a huge answer, but removes a secret that straddles the cut', () => {
    const padding = 'word '.repeat(EXCERPT_INPUT_LIMIT / 5 - 1);
    const out = excerpt(Buffer.from(`${padding}${SECRET}${'x'.repeat(1024 * 1024)}`), 10_000, [SECRET]);
    expect(out.length).toBeLessThanOrEqual(EXCERPT_INPUT_LIMIT);
    expect(out).not.toContain(SECRET.slice(0, 8));
  });

  it('masks values under secret-looking names and keeps the harmless neighbours', () => {
    expect(excerpt('{"access_token":"abc","token_type":"Bearer","expires_in":3600,"error":"x"}')).toBe(
      '{"access_token":"[redacted]","token_type":"Bearer","expires_in":3600,"error":"x"}',
    );
  });
});

describe('stripHtml', () => {
  it('keeps the text of a page, drops script, style, head and comments, decodes common entities', () => {
    const page =
      '<html><head><title>t</title></head><body><!-- c --><h1>Bad &amp; broken</h1><script>x="<p>"</script><p>a &lt; b</p></body></html>';
    expect(stripHtml(page).replace(/\s+/g, ' ').trim()).toBe('Bad & broken a < b');
  });

  it('ends the text at an unterminated tag, comment or element, and leaves text without tags alone', () => {
    expect(stripHtml('<p>before</p><div class="x').trim()).toBe('before');
    expect(stripHtml('<p>before</p><script>never closed').trim()).toBe('before');
    expect(stripHtml('a < b and c > d')).toBe('a < b and c > d');
  });
});

describe('looksSecretName', () => {
  it.each([
    'client_secret',
    'clientSecret',
    'access_token',
    'id_token',
    'refreshToken',
    'privateKeyPem',
    'x-api-key',
    'Ocp-Apim-Subscription-Key',
    'encryptionKeys',
    'Authorization',
    'set-cookie',
    'session_id',
    'password',
    'client_assertion',
  ])('%s holds a secret', (name) => {
    expect(looksSecretName(name)).toBe(true);
  });

  it.each([
    'token_type',
    'tokenType',
    'expires_in',
    'expiresAt',
    'token_endpoint_auth_method',
    'connectorKey',
    'idempotency-key',
    'key',
    'www-authenticate',
    'content-type',
    'region',
  ])('%s does not', (name) => {
    expect(looksSecretName(name)).toBe(false);
  });
});
