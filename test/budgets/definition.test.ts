import { describe, expect, it } from 'vitest';
import { resolveConnector } from '../../src/definitions/resolve.js';
import { formatIssue, validateDefinition } from '../../src/definitions/validate.js';

function definition(extra: Record<string, unknown>): Record<string, unknown> {
  return {
    key: 'acme',
    name: 'Acme',
    fields: [
      { key: 'client_id', label: 'Client ID', type: 'text', required: true },
      { key: 'client_secret', label: 'Client secret', type: 'secret', required: true },
      { key: 'account', label: 'Account', type: 'text' },
    ],
    token: { url: 'https://auth.acme.test/oauth/token' },
    allowedUrls: ['https://api.acme.test/v1/'],
    ...extra,
  };
}

const errors = (extra: Record<string, unknown>) => {
  const result = validateDefinition(definition(extra));
  return result.ok ? [] : result.issues.map((issue) => formatIssue(issue));
};

describe('rate budgets in connector definitions', () => {
  it('accepts budgets per connection, per connector and per template scope, and defaults the scope', () => {
    const result = validateDefinition(
      definition({
        rateLimits: [
          { requests: 100, perSeconds: 10 },
          { requests: 1000, perSeconds: 60, scope: 'connector' },
          { requests: 500, perSeconds: 0.5, scope: '{{token.instance_url}} {{account}}' },
        ],
        concurrency: 4,
      }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const resolved = resolveConnector(result.definition);
    expect(resolved.rateLimits.map((limit) => limit.scope)).toEqual([
      'connection',
      'connector',
      '{{token.instance_url}} {{account}}',
    ]);
    expect(resolved.concurrency).toBe(4);
    expect(resolved.rateLimits[0]).toEqual({ requests: 100, perSeconds: 10, scope: 'connection' });
  });

  it('refuses budgets that are not positive, naming the path', () => {
    expect(errors({ rateLimits: [{ requests: 0, perSeconds: 1 }] })[0]).toMatch(/^rateLimits\[0\]\.requests: /);
    expect(errors({ rateLimits: [{ requests: 1.5, perSeconds: 1 }] })[0]).toMatch(/^rateLimits\[0\]\.requests: /);
    expect(errors({ rateLimits: [{ requests: 10, perSeconds: -1 }] })[0]).toMatch(/^rateLimits\[0\]\.perSeconds: /);
    expect(errors({ rateLimits: [{ requests: 10 }] })[0]).toMatch(/^rateLimits\[0\]\.perSeconds: /);
    expect(errors({ concurrency: 0 })[0]).toMatch(/^concurrency: /);
  });

  it('refuses secret fields and the access token in a scope template: it names a shared key', () => {
    expect(errors({ rateLimits: [{ requests: 1, perSeconds: 1, scope: '{{client_secret}}' }] })).toEqual([
      'rateLimits[0].scope: secret field {{client_secret}} must not appear in a budget scope; send it in a header or the body',
    ]);
    expect(errors({ rateLimits: [{ requests: 1, perSeconds: 1, scope: '{{access_token}}' }] })).toEqual([
      'rateLimits[0].scope: {{access_token}} changes with every renewal; name the account with a field or {{token.<path>}}',
    ]);
  });

  it('refuses a scope that is neither a named scope nor a template, and unknown variables with a suggestion', () => {
    expect(errors({ rateLimits: [{ requests: 1, perSeconds: 1, scope: 'global' }] })).toEqual([
      `rateLimits[0].scope: use "connection", "connector" or a template over the connection's values, such as "{{token.instance_url}}"`,
    ]);
    expect(errors({ rateLimits: [{ requests: 1, perSeconds: 1, scope: '{{acount}}' }] })).toEqual([
      'rateLimits[0].scope: unknown variable {{acount}}; did you mean {{account}}?',
    ]);
  });
});
