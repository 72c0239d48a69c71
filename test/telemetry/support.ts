/** Reading spans back from the in-memory exporter. */
import { SpanKind } from '@opentelemetry/api';
import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect, vi } from 'vitest';

export const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
export const idOf = (span: ReadableSpan) => span.spanContext().spanId;
export const traceOf = (span: ReadableSpan) => span.spanContext().traceId;

/** Waits until the exporter holds a span matching `match` (spans are exported as they end). */
export async function waitForSpan(
  exporter: InMemorySpanExporter,
  match: (span: ReadableSpan) => boolean,
  what: string,
): Promise<ReadableSpan> {
  return vi.waitFor(
    () => {
      const found = exporter.getFinishedSpans().find(match);
      if (!found) throw new Error(`no span ${what} yet`);
      return found;
    },
    { timeout: 10_000, interval: 20 },
  );
}

/** The one span of `spans` matching, failing with the names of those there are otherwise. */
export function only(spans: ReadableSpan[], match: (span: ReadableSpan) => boolean, what: string): ReadableSpan {
  const found = spans.filter(match);
  expect(found.length, `${what} among ${spans.map((s) => s.name).join(', ')}`).toBe(1);
  return found[0] as ReadableSpan;
}

export const isClientRequest = (method: string, url: string) => (span: ReadableSpan) =>
  span.kind === SpanKind.CLIENT &&
  span.attributes['http.request.method'] === method &&
  span.attributes['url.full'] === url;

/** Every attribute, event and status of every span as text, for secret scans. */
export function exportedText(spans: ReadableSpan[]): string {
  return spans
    .map((span) =>
      JSON.stringify({
        name: span.name,
        attributes: span.attributes,
        events: span.events,
        status: span.status,
        links: span.links,
        resource: span.resource.attributes,
      }),
    )
    .join('\n');
}
