/**
 * Points a catalogue definition at a local fake without touching production code: every absolute URL template
 * `https://<host><path>` becomes `<origin>/<host><path>`, so `https://api.box.com/2.0/users/me` is sent as
 * `http://127.0.0.1:<port>/api.box.com/2.0/users/me` and the fake reads the real URL back from the path. Host
 * templates (`https://{{domain}}/…`) move into the path the same way; `assertionAudience` and scopes keep the real
 * URLs, as they are values, not requests. No test ever opens a connection to a real host.
 */
import type { ConnectorDefinition } from '../../src/definitions/schema.js';

const ABSOLUTE = /^https:\/\/([^/]+)(.*)$/;

export function localUrl(url: string, origin: string): string {
  return url.replace(ABSOLUTE, (_, host: string, rest: string) => `${origin}/${host}${rest}`);
}

/** The real URL of a request the fake received: `/<host><path>?query` → `https://<host><path>?query`. */
export function realUrl(pathAndQuery: string): string {
  return `https://${pathAndQuery.replace(/^\//, '')}`;
}

export function pointAt(definition: ConnectorDefinition, origin: string): ConnectorDefinition {
  const local = (url: string) => localUrl(url, origin);
  return {
    ...definition,
    token: { ...definition.token, url: local(definition.token.url) },
    ...(definition.test && { test: { ...definition.test, url: local(definition.test.url) } }),
    ...(definition.refresh && { refresh: { url: local(definition.refresh.url) } }),
    ...(definition.revoke && { revoke: { ...definition.revoke, url: local(definition.revoke.url) } }),
    allowedUrls: definition.allowedUrls.map(local),
  };
}

/** Answers carry real URLs (Salesforce's instance_url, Sophos' apiHosts): those are pointed at the fake too. */
export function localAnswer(value: unknown, origin: string): unknown {
  if (typeof value === 'string') return localUrl(value, origin);
  if (Array.isArray(value)) return value.map((item) => localAnswer(item, origin));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, localAnswer(item, origin)]));
  }
  return value;
}
