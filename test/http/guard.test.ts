import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import {
  type AllowedUrl,
  checkAllowed,
  compileAllowedUrls,
  isAllowed,
  isLoopbackHost,
  resolveCallUrl,
} from '../../src/http/guard.js';

const allowed = compileAllowedUrls(['https://api.example.com/v1/', 'http://127.0.0.1:8080/api']);

/** The href that would be sent, or the error code. */
function outcome(url: string, list: AllowedUrl[] = allowed): string {
  try {
    const resolved = resolveCallUrl(url, list);
    checkAllowed(resolved, list);
    return resolved.href;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

function appError(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('resolveCallUrl + checkAllowed', () => {
  it.each([
    // relative references resolve against the first allowed URL, like a browser
    ['items', 'https://api.example.com/v1/items'],
    ['/v1/items', 'https://api.example.com/v1/items'],
    ['items?q=1#frag', 'https://api.example.com/v1/items?q=1'],
    ['items#', 'https://api.example.com/v1/items'],
    ['//evil.test/x', 'url_not_allowed'],
    ['../x', 'url_not_allowed'],
    ['\\\\evil.test\\x', 'url_not_allowed'],
    // host confusion
    ['https://api.example.com.evil.test/v1/', 'url_not_allowed'],
    ['https://api.example.com@evil.test/v1/', 'url_not_allowed'],
    ['https://user:pass@api.example.com/v1/x', 'url_not_allowed'],
    ['https://API.Example.COM/v1/x', 'https://api.example.com/v1/x'],
    ['https://api.example.com./v1/x', 'url_not_allowed'],
    // dot segments, plain and encoded, are normalised before the check
    ['https://api.example.com/v1/../../admin', 'url_not_allowed'],
    ['https://api.example.com/v1/%2e%2e/admin', 'url_not_allowed'],
    ['https://api.example.com/v1/.%2E/admin', 'url_not_allowed'],
    ['https://api.example.com/v1/x/../y', 'https://api.example.com/v1/y'],
    ['https://api.example.com/v1/x/%2e%2e/y', 'https://api.example.com/v1/y'],
    // encoded slashes and dot segments a server might decode after the check are refused
    ['https://api.example.com/v1/%2E%2E%2Fadmin', 'url_not_allowed'],
    ['https://api.example.com/v1/..%2fadmin', 'url_not_allowed'],
    ['https://api.example.com/v1/..%5cadmin', 'url_not_allowed'],
    ['https://api.example.com/v1/%252e%252e/admin', 'url_not_allowed'],
    ['https://api.example.com/v1/..;/admin', 'url_not_allowed'],
    ['https://api.example.com/v1/a%00b', 'url_not_allowed'],
    ['https://api.example.com/v1/caf%C3%A9%20x', 'https://api.example.com/v1/caf%C3%A9%20x'],
    ['https://api.example.com/v1/100%25', 'https://api.example.com/v1/100%25'],
    // backslashes are slashes in http(s)
    ['https://api.example.com\\v1\\x', 'https://api.example.com/v1/x'],
    ['https://api.example.com\\..\\admin', 'url_not_allowed'],
    // control characters are refused rather than silently removed
    ['https://api.exa\tmple.com/v1/x', 'invalid_url'],
    ['https://api.example.com/v1/x\n', 'invalid_url'],
    ['items\r\nX-Injected: 1', 'invalid_url'],
    // ports and schemes
    ['https://api.example.com:443/v1/x', 'https://api.example.com/v1/x'],
    ['https://api.example.com:8443/v1/x', 'url_not_allowed'],
    ['http://api.example.com/v1/x', 'url_not_allowed'],
    ['ftp://api.example.com/v1/x', 'url_not_allowed'],
    ['ws://api.example.com/v1/x', 'url_not_allowed'],
    ['wss://api.example.com/v1/x', 'url_not_allowed'],
    ['javascript:alert(1)', 'url_not_allowed'],
    // IP literals are hosts of their own; the decimal form of 127.0.0.1 is 127.0.0.1
    ['https://127.0.0.1/v1/x', 'url_not_allowed'],
    ['https://[::1]/v1/x', 'url_not_allowed'],
    ['https://2130706433/v1/x', 'url_not_allowed'],
    ['http://2130706433:8080/api/x', 'http://127.0.0.1:8080/api/x'],
    ['http://0x7f.1:8080/api', 'http://127.0.0.1:8080/api'],
    ['http://localhost:8080/api/x', 'url_not_allowed'],
    ['http://127.0.0.1:8081/api/x', 'url_not_allowed'],
    // prefix boundaries
    ['http://127.0.0.1:8080/api', 'http://127.0.0.1:8080/api'],
    ['http://127.0.0.1:8080/api/', 'http://127.0.0.1:8080/api/'],
    ['http://127.0.0.1:8080/apiv2', 'url_not_allowed'],
    ['https://api.example.com/v1', 'url_not_allowed'],
    ['https://api.example.com/v10/x', 'url_not_allowed'],
    ['https://api.example.com/V1/x', 'url_not_allowed'],
    // garbage
    ['https://exa mple.com/', 'invalid_url'],
    ['http://[::1', 'invalid_url'],
  ])('when the call URL is %j, it gives %s', (url, expected) => {
    expect(outcome(url)).toBe(expected);
  });

  it('when the prefix has no trailing slash, it allows the prefix itself and paths below it but not /v10', () => {
    const v1 = compileAllowedUrls(['https://api.example.com/v1']);
    expect(outcome('https://api.example.com/v1', v1)).toBe('https://api.example.com/v1');
    expect(outcome('https://api.example.com/v1/x', v1)).toBe('https://api.example.com/v1/x');
    expect(outcome('https://api.example.com/v10', v1)).toBe('url_not_allowed');
    // like a browser, `items` resolves next to `v1`, not below it
    expect(outcome('items', v1)).toBe('url_not_allowed');
  });

  it('when the allowed host is unicode, it matches the punycode form and the unicode form', () => {
    const idn = compileAllowedUrls(['https://bücher.example/']);
    expect(idn[0]?.host).toBe('xn--bcher-kva.example');
    expect(outcome('https://xn--bcher-kva.example/x', idn)).toBe('https://xn--bcher-kva.example/x');
    expect(outcome('https://BÜCHER.example/x', idn)).toBe('https://xn--bcher-kva.example/x');
    expect(outcome('https://bucher.example/x', idn)).toBe('url_not_allowed');
  });

  it('when a URL is refused, the message names the URL without query or userinfo and lists the allowed URLs', () => {
    const error = appError(() => checkAllowed(new URL('https://x.test/y?token=s3cret#f'), allowed));
    expect(error.kind).toBe('invalid_input');
    expect(error.message).toBe(
      'https://x.test/y is not within the allowed URLs: https://api.example.com/v1/, http://127.0.0.1:8080/api',
    );
  });

  it('when a URL has userinfo, the message says so and names the real host, not the password', () => {
    const error = appError(() => checkAllowed(new URL('https://api.example.com:pw@evil.test/v1/'), allowed));
    expect(error.message).toContain('userinfo');
    expect(error.message).toContain('evil.test');
    expect(error.message).not.toContain('pw');
  });

  it('when the path hides an encoded slash, the message explains why', () => {
    const error = appError(() => checkAllowed(new URL('https://api.example.com/v1/..%2Fadmin'), allowed));
    expect(error.message).toMatch(/encoded slash/);
  });

  it('isAllowed agrees with checkAllowed', () => {
    expect(isAllowed(new URL('https://api.example.com/v1/x'), allowed)).toBe(true);
    expect(isAllowed(new URL('https://api.example.com/v2/x'), allowed)).toBe(false);
  });

  it('when there are no allowed URLs, relative references are invalid and absolute ones are refused', () => {
    expect(outcome('items', [])).toBe('invalid_url');
    expect(outcome('https://api.example.com/v1/', [])).toBe('url_not_allowed');
  });

  it('for any input string, it throws only AppError and accepts only URLs under an allowed prefix', () => {
    const pieces = fc.constantFrom(
      'https:',
      'http:',
      'HTTPS://',
      'ws:',
      '//',
      '/',
      '\\',
      'api.example.com',
      'API.EXAMPLE.COM',
      '.',
      '..',
      'evil.test',
      '@',
      ':',
      '443',
      '8080',
      '127.0.0.1',
      '2130706433',
      '[::1]',
      'v1',
      'v10',
      'api',
      '%2e',
      '%2E',
      '%2f',
      '%5c',
      '%25',
      '%00',
      ';',
      '?',
      '#',
      '\t',
      ' ',
      'x',
      'ü',
    );
    const inputs = fc.oneof(
      fc.string(),
      fc.webUrl(),
      fc.array(pieces, { maxLength: 12 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(inputs, (input) => {
        let url: URL;
        try {
          url = resolveCallUrl(input, allowed);
          checkAllowed(url, allowed);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          return;
        }
        const match = allowed.find(
          (a) =>
            `${a.protocol}//${a.host}` === url.origin &&
            (url.pathname === a.path || url.pathname.startsWith(a.path.endsWith('/') ? a.path : `${a.path}/`)),
        );
        expect(match, url.href).toBeDefined();
        expect(url.username + url.password).toBe('');
        expect(url.pathname).not.toMatch(/%2f|%5c|(^|\/)\.\.?(\/|$)/i);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('compileAllowedUrls', () => {
  it.each([
    ['api.example.com/v1', /absolute http\(s\) URL/],
    ['/v1/', /absolute/],
    ['ftp://api.example.com/', /must use https/],
    ['http://api.example.com/v1/', /plain http is only allowed to localhost/],
    ['https://user:pw@api.example.com/', /userinfo/],
    ['https://api.example.com/v1/?', /query string/],
    ['https://api.example.com/v1/?a=1', /query string/],
    ['https://api.example.com/v1/#x', /fragment/],
    ['https://api.example.com/v1%2f..%2f/', /encoded slash/],
    ['https://api.exa\tmple.com/', /control characters/],
    ['https://{{region}}.api.example.com/', /DNS name or an IP address/],
    ['https://$(region).example.com/', /DNS name/],
  ])('when an allowed URL is %j, it refuses it with invalid_allowed_url', (url, message) => {
    const error = appError(() => compileAllowedUrls(['https://ok.example/', url]));
    expect(error.code).toBe('invalid_allowed_url');
    expect(error.message).toMatch(/^allowedUrls\[1\]/);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('pw');
  });

  it('when the list is empty, it refuses it', () => {
    expect(appError(() => compileAllowedUrls([])).code).toBe('invalid_allowed_url');
  });

  it('normalises the allowed URLs: case, default port, dot segments, bare origin', () => {
    const [a, b, c] = compileAllowedUrls([
      'HTTPS://API.Example.com:443/v1/x/../',
      'https://api.example.com',
      'http://[::1]:3000/',
    ]);
    expect(a).toEqual({
      href: 'https://api.example.com/v1/',
      protocol: 'https:',
      host: 'api.example.com',
      path: '/v1/',
    });
    expect(b?.path).toBe('/');
    expect(c?.host).toBe('[::1]:3000');
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['127.0.0.1', true],
    ['127.255.10.1', true],
    ['[::1]', true],
    ['::1', true],
    ['127.0.0.256', false],
    ['128.0.0.1', false],
    ['localhost.evil.test', false],
    ['127.0.0.1.evil.test', false],
    ['0.0.0.0', false],
    ['[::2]', false],
  ])('%s → %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
