/**
 * Requests to a provider's API (the test API and `call` jobs): the connector's request defaults, rendered for a
 * connection, with the request's own headers, query and body on top.
 */
import type { ResolvedConnector } from '../definitions/resolve.js';
import { renderText, type TemplateContext } from '../definitions/templates.js';
import type { FieldValue } from '../domain/model.js';
import { assertHeaderSafe, mergeHeaders } from '../http/headers.js';
import type { OutboundRequest } from '../http/send.js';

/** Request defaults with their templates rendered for one connection. */
export interface RenderedDefaults {
  headers: Record<string, string>;
  query: Record<string, string>;
  /** `query` serialised as a URL's query string would show it (without `?`); '' when there is none. */
  queryString: string;
  body: Record<string, unknown>;
}

export interface ApiRequestInput {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  query?: Record<string, FieldValue | FieldValue[]>;
  /** JSON value, or a string sent as is. */
  body?: unknown;
}

function renderRecord(templates: Record<string, string>, context: TemplateContext): Record<string, string> {
  const rendered: Record<string, string> = {};
  for (const [name, template] of Object.entries(templates)) rendered[name] = renderText(template, context);
  return rendered;
}

function renderJson(value: unknown, context: TemplateContext): unknown {
  if (typeof value === 'string') return renderText(value, context);
  if (Array.isArray(value)) return value.map((item) => renderJson(item, context));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderJson(item, context)]));
  }
  return value;
}

/** Renders the defaults once per connection version; header names lower-cased and values checked here, not per call. */
export function renderDefaults(connector: ResolvedConnector, context: TemplateContext): RenderedDefaults {
  const defaults = connector.requestDefaults;
  const headers = mergeHeaders(renderRecord(defaults.headers, context));
  for (const [name, value] of Object.entries(headers)) assertHeaderSafe(name, value, `requestDefaults.headers.${name}`);
  const query = renderRecord(defaults.query, context);
  return {
    headers,
    query,
    queryString: new URLSearchParams(query).toString(),
    body: renderJson(defaults.body, context) as Record<string, unknown>,
  };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Builds the outbound request: defaults first, the request's own values on top. `input.url` is left as it is (the
 * same URL may be sent again after a renewal).
 */
export function buildApiRequest(
  defaults: RenderedDefaults,
  input: ApiRequestInput,
  limits: { timeoutMs: number; maxResponseBytes: number },
): OutboundRequest {
  let href = input.url.href;
  // The common call (no query of its own): the defaults' query string, serialised once per connection version, is
  // appended as is. Otherwise each parameter is set on a copy; the result is the same either way.
  if (!input.query && !href.includes('?')) {
    if (defaults.queryString !== '') href = `${href}?${defaults.queryString}`;
  } else {
    href = withQuery(input.url, defaults.query, input.query);
  }
  let headers: Record<string, string>;
  if (input.headers) {
    for (const [name, value] of Object.entries(input.headers)) assertHeaderSafe(name, value, `headers.${name}`);
    headers = mergeHeaders(defaults.headers, input.headers);
  } else {
    headers = { ...defaults.headers };
  }
  // A compressed answer would carry an echoed secret past redaction, which reads the bytes as they come: whatever a
  // caller or definition asks for, ask for the answer as is (an upstream that compresses anyway is decoded).
  headers['accept-encoding'] = 'identity';

  let body: string | undefined;
  if (typeof input.body === 'string') {
    body = input.body;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (input.body !== undefined) {
    const json = isPlainObject(input.body) ? { ...defaults.body, ...input.body } : input.body;
    body = JSON.stringify(json);
    headers['content-type'] ??= 'application/json';
  }
  return { method: input.method, url: href, headers, body, ...limits };
}

/** The href of `url` with the default query and the request's own query set on it (the request's values win). */
function withQuery(
  url: URL,
  defaults: Record<string, string>,
  own: Record<string, FieldValue | FieldValue[]> | undefined,
): string {
  const copy = new URL(url);
  for (const name in defaults) copy.searchParams.set(name, defaults[name] as string);
  if (own) {
    for (const [name, value] of Object.entries(own)) {
      copy.searchParams.delete(name);
      for (const item of Array.isArray(value) ? value : [value]) copy.searchParams.append(name, String(item));
    }
  }
  return copy.href;
}
