import { describe, expect, it } from 'vitest';
import { buildApiRequest, type RenderedDefaults } from '../../src/connections/api-request.js';

function defaultsWith(query: Record<string, string>): RenderedDefaults {
  return {
    headers: { authorization: 'Bearer t' },
    query,
    queryString: new URLSearchParams(query).toString(),
    body: {},
  };
}

const limits = { timeoutMs: 1000, maxResponseBytes: 1000 };
const href = (defaults: RenderedDefaults, url: string, query?: Record<string, string | string[]>) =>
  buildApiRequest(defaults, { method: 'GET', url: new URL(url), ...(query && { query }) }, limits).url;

describe('buildApiRequest', () => {
  const tricky = defaultsWith({ env: 'prod uction', filter: 'a&b=c', path: 'é/?#+' });

  it('appends the default query to a URL without one exactly as setting each parameter would', () => {
    // An empty query of the job's own takes the parameter-by-parameter path.
    expect(href(tricky, 'https://api.test/v1/items')).toBe(href(tricky, 'https://api.test/v1/items', {}));
    expect(href(tricky, 'https://api.test/v1/items')).toBe(
      'https://api.test/v1/items?env=prod+uction&filter=a%26b%3Dc&path=%C3%A9%2F%3F%23%2B',
    );
  });

  it("keeps the URL's own query, sets the defaults on top, and lets the job's query win", () => {
    const defaults = defaultsWith({ env: 'production', page: '1' });
    expect(href(defaults, 'https://api.test/v1/items?page=9&sort=asc')).toBe(
      'https://api.test/v1/items?page=1&sort=asc&env=production',
    );
    expect(href(defaults, 'https://api.test/v1/items?', { page: ['2', '3'] })).toBe(
      'https://api.test/v1/items?env=production&page=2&page=3',
    );
    expect(href(defaultsWith({}), 'https://api.test/v1/items')).toBe('https://api.test/v1/items');
  });

  it('leaves the URL it was given unchanged, so a retry builds the same request', () => {
    const url = new URL('https://api.test/v1/items?sort=asc');
    const first = buildApiRequest(tricky, { method: 'GET', url, query: { page: '2' } }, limits).url;
    expect(url.href).toBe('https://api.test/v1/items?sort=asc');
    expect(buildApiRequest(tricky, { method: 'GET', url, query: { page: '2' } }, limits).url).toBe(first);
  });
});
