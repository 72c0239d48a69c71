import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jobFieldPlace, secretPlace, tokenPlace } from '../../src/secrets/places.js';

describe('places', () => {
  it('when parts hold any text (quotes, backslashes, control characters, lone surrogates), a place is their JSON array', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (first, second) => {
        expect(secretPlace(first, second)).toBe(JSON.stringify(['connection', first, 'field', second]));
        expect(jobFieldPlace(first, second)).toBe(JSON.stringify(['job', first, second]));
        expect(tokenPlace(first, 'refresh_token')).toBe(JSON.stringify(['connection', first, 'refresh_token']));
      }),
    );
    for (const text of ['"', '\\', '\u0000', '\u001f', '\ud800', '\udfff', '\ud83d\ude00', '\u2028', 'é'])
      expect(secretPlace(text, text)).toBe(JSON.stringify(['connection', text, 'field', text]));
  });
});
