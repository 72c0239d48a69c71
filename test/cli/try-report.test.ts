import { describe, expect, it } from 'vitest';
import { formatReport } from '../../src/authoring/format.js';
import { MASK, Masker } from '../../src/authoring/mask.js';
import { probeCandidates } from '../../src/authoring/probe.js';

describe('connectors try --probe', () => {
  it('tries the other secret-based methods in the same format first, then the other format, never body in a URL', () => {
    expect(probeCandidates('basic', 'form')).toEqual([
      ['basic_raw', 'form'],
      ['body', 'form'],
      ['basic', 'json'],
      ['basic_raw', 'json'],
      ['body', 'json'],
    ]);
    expect(probeCandidates('basic', 'query')).toEqual([
      ['basic_raw', 'query'],
      ['basic', 'form'],
      ['basic_raw', 'form'],
      ['body', 'form'],
      ['basic', 'json'],
      ['basic_raw', 'json'],
      ['body', 'json'],
    ]);
  });

  it('when the definition signs or uses a certificate, there is nothing to probe and the report says so', () => {
    expect(probeCandidates('private_key_jwt', 'form')).toEqual([]);
    const lines = formatReport({
      connector: 'jwt',
      ok: false,
      exchanges: [],
      advice: [],
      probe: [],
      failure: { step: 'token', code: 'invalid_client', message: 'token endpoint answered 401 invalid_client' },
    });
    expect(lines).toContain(
      'Probe: nothing to try; the client authentication of this definition uses no client secret.',
    );
    expect(lines.join('\n')).not.toContain('accepted none');
  });
});

describe('connectors try, masking', () => {
  it('masks a secret in every form an exchange carries it: as is, percent-encoded in a path, a header or an error', () => {
    const token = 'ab+c/d~e==';
    const masker = new Masker([token]);
    const printed = masker.exchange({
      step: 'call',
      request: {
        method: 'GET',
        url: `https://api.example.test/t/${encodeURIComponent(token)}`,
        headers: { 'x-echo': new URLSearchParams({ t: token }).toString() },
      },
      response: {
        status: 302,
        headers: { location: `/next?t=${encodeURIComponent(token)}` },
        body: Buffer.alloc(0),
      },
      error: `GET failed for ${token}`,
    });
    expect(printed.url).toBe(`https://api.example.test/t/${MASK}`);
    expect(printed.headers['x-echo']).toBe(`t=${MASK}`);
    expect(printed.responseHeaders?.location).toBe(`/next?t=${MASK}`);
    expect(printed.error).toBe(`GET failed for ${MASK}`);
  });
});
