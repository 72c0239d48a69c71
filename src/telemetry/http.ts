/**
 * HTTP client spans for every outbound request (token, revoke, test, API calls, webhooks), made from undici's
 * diagnostics channels: the transport (`src/http/send.ts`) stays as it is, and without tracing nothing subscribes,
 * so undici skips the publishing altogether. Each request gets a `traceparent` header, so the provider's own traces
 * join ours.
 *
 * What a span shows of a request: method, scheme, host, port and path. Never the query string (a connector may put an
 * API key there), userinfo, headers or bodies.
 */
import diagnostics from 'node:diagnostics_channel';
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ATTR } from './attributes.js';
import { activeTracer } from './tracing.js';

/** The part of undici's request object the channels hand us. */
interface UndiciRequest {
  origin: string | URL;
  method: string;
  path: string;
  addHeader(name: string, value: string): unknown;
}

const spans = new WeakMap<UndiciRequest, Span>();

function onCreate(message: unknown): void {
  const tracer = activeTracer();
  if (!tracer) return;
  const { request } = message as { request: UndiciRequest };
  const origin = new URL(String(request.origin));
  const path = request.path.split('?', 1)[0] ?? '';
  const span = tracer.startSpan(request.method, {
    kind: SpanKind.CLIENT,
    attributes: {
      [ATTR.httpMethod]: request.method,
      [ATTR.urlFull]: `${origin.origin}${path}`,
      [ATTR.urlScheme]: origin.protocol.slice(0, -1),
      [ATTR.serverAddress]: origin.hostname,
      [ATTR.serverPort]: Number(origin.port) || (origin.protocol === 'https:' ? 443 : 80),
    },
  });
  spans.set(request, span);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  for (const [name, value] of Object.entries(carrier)) request.addHeader(name, value);
}

function onHeaders(message: unknown): void {
  const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
  const span = spans.get(request);
  if (!span) return;
  span.setAttribute(ATTR.httpStatus, response.statusCode);
  if (response.statusCode >= 400) {
    span.setAttribute(ATTR.errorType, String(response.statusCode));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

function onTrailers(message: unknown): void {
  const { request } = message as { request: UndiciRequest };
  spans.get(request)?.end();
  spans.delete(request);
}

function onError(message: unknown): void {
  const { request, error } = message as { request: UndiciRequest; error: { code?: unknown; name?: string } };
  const span = spans.get(request);
  if (!span) return;
  const type = typeof error.code === 'string' ? error.code : (error.name ?? 'Error');
  span.setAttribute(ATTR.errorType, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
  span.end();
  spans.delete(request);
}

const CHANNELS: Array<[string, (message: unknown) => void]> = [
  ['undici:request:create', onCreate],
  ['undici:request:headers', onHeaders],
  ['undici:request:trailers', onTrailers],
  ['undici:request:error', onError],
];

/** Starts the HTTP client spans; returns what stops them. */
export function traceHttpClient(): () => void {
  for (const [name, listener] of CHANNELS) diagnostics.subscribe(name, listener);
  return () => {
    for (const [name, listener] of CHANNELS) diagnostics.unsubscribe(name, listener);
  };
}
