import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateDefinition } from '../../src/definitions/validate.js';

const templateish = fc.oneof(
  fc.string(),
  fc.constantFrom('{{client_id}}', '{{token.__proto__}}', '{{test.a.0}}', '{{', 'https://{{x}}/', 'http://a/'),
);

/** Random JSON, plus objects near the real shape so deeper rules run too. */
const nearDefinition = fc.record(
  {
    key: fc.oneof(fc.constant('acme'), fc.string()),
    name: fc.string(),
    fields: fc.array(
      fc.record(
        {
          key: fc.oneof(fc.constantFrom('client_id', 'client_secret', 'token'), fc.string()),
          label: fc.string(),
          type: fc.constantFrom('text', 'secret', 'select', 'number', 'boolean', 'other'),
          options: fc.array(fc.string()),
          pattern: fc.string(),
          default: fc.jsonValue(),
        },
        { requiredKeys: ['key', 'label', 'type'] },
      ),
    ),
    token: fc.record({ url: templateish, params: fc.dictionary(fc.string(), templateish) }, { requiredKeys: ['url'] }),
    allowedUrls: fc.array(templateish),
    connectionName: templateish,
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

describe('validateDefinition on random input', () => {
  it('never throws, and returns the definition or issues that each have a path and a message', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), nearDefinition), (input) => {
        const result = validateDefinition(input);
        if (result.ok) return;
        expect(result.issues.length).toBeGreaterThan(0);
        for (const issue of result.issues) {
          expect(issue.path).not.toBe('');
          expect(issue.message).not.toBe('');
        }
      }),
      { numRuns: 500 },
    );
  });
});
