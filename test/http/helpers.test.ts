import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../jobs/backoff.js';
import { secretValues } from '../../src/connections/context.js';
import { AppError } from '../../src/errors.js';
import { assertHeaderSafe, callerHeaders, maskHeaders, mergeHeaders, REDACTED } from '../../src/http/headers.js';
import { redactSecrets, shapeResponseBody } from '../../src/http/response-body.js';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/http/retry-after.js';

describe('parseRetryAfter', () => {
  const now = new Date('2025-03-01T12:00:00Z');

  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['3600', 3_600_000],
    ['86400', MAX_RETRY_AFTER_MS],
    ['99999999999999999999999', MAX_RETRY_AFTER_MS],
    ['Sat, 01 Mar 2025 12:00:30 GMT', 30_000],
    ['Saturday, 01-Mar-25 12:01:00 GMT', 60_000],
    ['Sat Mar  1 12:00:10 2025', 10_000],
    ['Fri, 28 Feb 2025 12:00:00 GMT', 0],
    ['Sat, 01 Mar 2025 15:00:00 GMT', MAX_RETRY_AFTER_MS],
  ])('when the value is %j, it gives %d ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([
    undefined,
    '',
    '-5',
    '1.5',
    '12abc',
    'soon',
    'a 1',
    '2025-03-01T12:00:30Z',
    'Sat, 31 Feb 2025 12:00:00 GMT',
    'Sat, 01 Mar 2025 25:00:00 GMT',
    'Sat, 01 Foo 2025 12:00:00 GMT',
  ])('when the value is %j, it gives undefined', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });

  it('when an RFC 850 year would be more than 50 years ahead, it is read as the past century', () => {
    // 99 → 1999, long past → 0 ms (not 2099 → capped at an hour)
    expect(parseRetryAfter('Friday, 31-Dec-99 23:59:59 GMT', now)).toBe(0);
  });

  it('when no clock is given, it uses the current time', () => {
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    const ms = parseRetryAfter(inTenSeconds);
    expect(ms).toBeGreaterThan(8_000);
    expect(ms).toBeLessThanOrEqual(10_000);
  });
});

describe('backoffDelay', () => {
  const samples = (attempt: number, base: number, max?: number) =>
    Array.from({ length: 2000 }, () => backoffDelay(attempt, base, max));

  it('spreads delays over [0, base * 2^(attempt-1)] (full jitter), as whole milliseconds', () => {
    for (const [attempt, ceiling] of [
      [1, 1000],
      [3, 4000],
    ] as const) {
      const delays = samples(attempt, 1000);
      expect(delays.every((d) => Number.isInteger(d) && d >= 0 && d <= ceiling)).toBe(true);
      expect(Math.min(...delays)).toBeLessThan(ceiling * 0.1);
      expect(Math.max(...delays)).toBeGreaterThan(ceiling * 0.9);
    }
  });

  it('never exceeds maxMs, even for huge attempt numbers', () => {
    expect(samples(5000, 1000, 30_000).every((d) => d <= 30_000)).toBe(true);
    expect(samples(5000, 1000).every((d) => Number.isFinite(d) && d <= 600_000)).toBe(true);
  });

  it('treats attempt 0 like the first retry', () => {
    expect(samples(0, 1000).every((d) => d <= 1000)).toBe(true);
  });
});

describe('shapeResponseBody', () => {
  const buf = (s: string) => Buffer.from(s);

  it.each([
    ['application/json', '{"a":[1,true]}', { a: [1, true] }],
    ['application/json; charset=utf-8', '"x"', 'x'],
    ['application/problem+json', '{"title":"t"}', { title: 't' }],
    ['Application/JSON', 'null', null],
    ['application/json', '{"a":', '{"a":'],
    ['text/plain', 'hello', 'hello'],
    ['text/html; charset=utf-8', '<p>é</p>', '<p>é</p>'],
    ['application/xml', '<a/>', '<a/>'],
    ['application/atom+xml', '<feed/>', '<feed/>'],
    ['application/x-www-form-urlencoded', 'a=1&b=2', 'a=1&b=2'],
    ['application/javascript', 'x()', 'x()'],
  ])('when the type is %s, it shapes %j as %j', (type, body, expected) => {
    expect(shapeResponseBody(buf(body), type, [])).toEqual(expected);
  });

  it('when text declares a charset, it decodes with it', () => {
    expect(shapeResponseBody(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'text/plain; charset=ISO-8859-1', [])).toBe('café');
    expect(shapeResponseBody(Buffer.from('café'), 'text/plain; charset=no-such-charset', [])).toBe('café');
  });

  it('when JSON starts with a BOM, it still parses', () => {
    expect(shapeResponseBody(Buffer.from('\uFEFF{"a":1}'), 'application/json', [])).toEqual({ a: 1 });
  });

  it('when the body is empty, it gives null whatever the type', () => {
    expect(shapeResponseBody(Buffer.alloc(0), 'application/json', [])).toBeNull();
    expect(shapeResponseBody(Buffer.alloc(0), 'text/plain', [])).toBeNull();
    expect(shapeResponseBody(Buffer.alloc(0), undefined, [])).toBeNull();
  });

  it('when the body is binary or untyped, it gives base64 and the content type', () => {
    const bytes = Buffer.from([0, 255, 1, 2]);
    expect(shapeResponseBody(bytes, 'image/png', [])).toEqual({ base64: 'AP8BAg==', contentType: 'image/png' });
    expect(shapeResponseBody(buf('{"a":1}'), undefined, [])).toEqual({
      base64: buf('{"a":1}').toString('base64'),
      contentType: 'application/octet-stream',
    });
  });
});

describe('shapeResponseBody, redacting', () => {
  const secrets = ['tok-123456', 'pw'];

  it('takes every secret out of a JSON answer before parsing it', () => {
    expect(shapeResponseBody(Buffer.from('{"echo":"tok-123456","p":"pw pw"}'), 'application/json', secrets)).toEqual({
      echo: '[redacted]',
      p: '[redacted] [redacted]',
    });
  });

  it('takes secrets out of text in another charset, which a search of the UTF-8 bytes would miss', () => {
    const utf16 = Buffer.from('\uFEFFsent tok-123456', 'utf16le');
    expect(utf16.includes(Buffer.from('tok-123456'))).toBe(false);
    expect(shapeResponseBody(utf16, 'text/plain; charset=utf-16le', secrets)).toBe('sent [redacted]');
  });

  it('takes secrets out of the bytes of a binary answer before encoding them', () => {
    const shaped = shapeResponseBody(Buffer.from('\u0000tok-123456\u0000'), 'application/octet-stream', secrets);
    expect(Buffer.from((shaped as { base64: string }).base64, 'base64').toString()).toBe('\u0000[redacted]\u0000');
  });

  it('takes out a secret that only JSON escapes spell, in values and keys, however deep', () => {
    const spelled = '\\u0074ok-123456';
    let nested = `{"${spelled}":"x","v":"${spelled}","__proto__":"${spelled}","s":"a\\/b tok-123456"}`;
    for (let depth = 0; depth < 100_000; depth++) nested = `[${nested}]`;
    let shaped = shapeResponseBody(Buffer.from(nested), 'application/json', secrets) as unknown;
    while (Array.isArray(shaped)) shaped = shaped[0];
    expect(Object.entries(shaped as object)).toEqual([
      ['v', '[redacted]'],
      ['__proto__', '[redacted]'],
      ['s', 'a/b [redacted]'],
      ['[redacted]', 'x'],
    ]);
    expect(shapeResponseBody(Buffer.from(`"${spelled}"`), 'application/json', secrets)).toBe('[redacted]');
  });

  it('ignores an empty secret instead of redacting between every character', () => {
    expect(shapeResponseBody(Buffer.from('abc'), 'text/plain', ['', 'b'])).toBe('a[redacted]c');
  });
});

describe('redactSecrets', () => {
  const redact = (body: string, secrets: string[]) =>
    redactSecrets(
      Buffer.from(body),
      secrets.map((secret) => Buffer.from(secret)),
    ).toString();

  it('replaces every occurrence of every secret, leaving the rest', () => {
    expect(redact('{"a":"tok-1","b":"tok-1","c":"pw"}', ['tok-1', 'pw'])).toBe(
      '{"a":"[redacted]","b":"[redacted]","c":"[redacted]"}',
    );
    expect(redact('nothing here', ['tok-1'])).toBe('nothing here');
  });

  it('when a client secret is part of the token, listed by secretValues, no piece of the token is left', () => {
    const secrets = secretValues({ fields: { client_secret: 'Ab3', client_id: 'id' }, access_token: 'xyzAb3uvw' }, [
      'client_secret',
    ]);
    expect(secrets).toEqual(['xyzAb3uvw', 'Ab3']);
    expect(redact('Bearer xyzAb3uvw and Ab3', secrets)).toBe('Bearer [redacted] and [redacted]');
  });

  it('when a token holds characters a URL encodes, secretValues lists its encoded forms too, and an echo of them is redacted', () => {
    const token = 'ab+c/d~e==';
    const secrets = secretValues({ fields: {}, access_token: token }, []);
    expect(secrets).toContain(token);
    expect(secrets).toContain('ab%2Bc%2Fd~e%3D%3D');
    expect(secrets).toContain('ab%2Bc%2Fd%7Ee%3D%3D');
    const quoted = `GET /api/echo?a=${encodeURIComponent(token)}&b=${new URLSearchParams({ t: token }).toString().slice(2)}`;
    expect(shapeResponseBody(Buffer.from(quoted), 'text/plain', secrets)).toBe(
      'GET /api/echo?a=[redacted]&b=[redacted]',
    );
  });
});

describe('assertHeaderSafe', () => {
  const error = (name: string, value: string) => {
    try {
      assertHeaderSafe(name, value, `headers.${name}`);
    } catch (e) {
      return e as AppError;
    }
    return undefined;
  };

  it('accepts token names and ordinary values', () => {
    expect(error('X-Api-Key', 'abc def\t!é')).toBeUndefined();
  });

  it.each([
    ['X-Foo', 's3cret\r\nX-Injected: 1'],
    ['X-Foo', 's3cret\nb'],
    ['X-Foo', 's3cret\u0000b'],
    ['X Foo', 's3cret'],
    ['X-Foo:', 's3cret'],
    ['', 's3cret'],
    ['X-Föo', 's3cret'],
  ])('when the header is %j: %j, it throws invalid_header naming the path, not the value', (name, value) => {
    const e = error(name, value);
    expect(e).toBeInstanceOf(AppError);
    expect(e?.kind).toBe('invalid_input');
    expect(e?.code).toBe('invalid_header');
    expect(e?.message).toContain(`headers.${name}`);
    expect(e?.message).not.toContain('s3cret');
  });
});

describe('mergeHeaders', () => {
  it('merges case-insensitively, later layers win, names become lower-case', () => {
    const merged = mergeHeaders(
      { Authorization: 'Bearer a', Accept: 'application/json' },
      undefined,
      { authorization: 'Bearer b', 'X-Extra': '1' },
      { ACCEPT: 'text/plain' },
    );
    expect(merged).toEqual({ authorization: 'Bearer b', accept: 'text/plain', 'x-extra': '1' });
  });

  it('keeps a header named __proto__ as a plain header without touching the prototype', () => {
    const layer = JSON.parse('{"__proto__": "x"}') as Record<string, string>;
    const merged = mergeHeaders(layer);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.entries(merged)).toEqual([['__proto__', 'x']]);
  });
});

describe('maskHeaders', () => {
  it('masks credential-like names and values containing a secret, keeping everything else', () => {
    const masked = maskHeaders(
      {
        Authorization: 'Bearer t',
        'proxy-authorization': 'Basic x',
        'x-api-key': 'k',
        'api-key': 'k',
        'X-Auth-Token': 't',
        cookie: 'a=b',
        'set-cookie': ['a=b', 'c=d'],
        'x-shopify-access-token': 't',
        'x-session-id': 's',
        'x-echo': 'the token is s3cr3t-value!',
        'content-type': 'application/json',
        'x-request-id': '42',
        'x-missing': undefined,
      },
      ['s3cr3t-value', ''],
    );
    expect(masked).toEqual({
      Authorization: REDACTED,
      'proxy-authorization': REDACTED,
      'x-api-key': REDACTED,
      'api-key': REDACTED,
      'X-Auth-Token': REDACTED,
      cookie: REDACTED,
      'set-cookie': REDACTED,
      'x-shopify-access-token': REDACTED,
      'x-session-id': REDACTED,
      'x-echo': REDACTED,
      'content-type': 'application/json',
      'x-request-id': '42',
    });
  });

  it('masks an array value when any of its items contains a secret', () => {
    expect(maskHeaders({ link: ['<a>', '<b?s=abc>'] }, new Set(['abc']))).toEqual({ link: REDACTED });
  });
});

describe('callerHeaders', () => {
  it('drops hop-by-hop headers and those named by Connection, whatever their case', () => {
    const stripped = callerHeaders(
      {
        Connection: 'keep-alive, X-Hop',
        'Keep-Alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        trailer: 'x',
        upgrade: 'h2c',
        'proxy-authenticate': 'Basic',
        'x-hop': '1',
        'content-type': 'text/plain',
        'x-request-id': 'abc',
        empty: undefined,
      },
      [],
    );
    expect(stripped).toEqual({ 'content-type': 'text/plain', 'x-request-id': 'abc' });
  });

  it('masks credentials in what it keeps, by name and by value', () => {
    const shown = callerHeaders(
      { 'set-cookie': ['a=b'], 'x-echo': 'Bearer tok-123', link: '<https://x/?t=tok-123>', 'content-length': '2' },
      ['tok-123'],
    );
    expect(shown).toEqual({ 'set-cookie': REDACTED, 'x-echo': REDACTED, link: REDACTED, 'content-length': '2' });
  });

  it('when an upstream sends ever new header names, still drops and masks each one by its name', () => {
    // More names than the verdicts it remembers: past that bound each name is decided afresh, never taken as plain.
    for (let i = 0; i < 1500; i++) {
      const shown = callerHeaders(
        { [`x-plain-${i}`]: 'v', [`x-session-${i}`]: 's', Connection: `x-hop-${i}`, [`x-hop-${i}`]: 'h', TE: 't' },
        [],
      );
      expect(shown).toEqual({ [`x-plain-${i}`]: 'v', [`x-session-${i}`]: REDACTED });
    }
    // A name first seen as plain in one answer is still masked by value in the next.
    expect(callerHeaders({ 'x-plain-1': 'tok-9' }, ['tok-9'])).toEqual({ 'x-plain-1': REDACTED });
  });
});
