/**
 * Reads an OAuth endpoint's answer leniently: JSON or application/x-www-form-urlencoded (GitHub-style servers
 * answer form-encoded unless asked otherwise), by content type, falling back to sniffing the body.
 */
import type { InboundResponse } from '../http/send.js';

export type ParsedBody = { ok: true; value: Record<string, unknown> } | { ok: false };

export function parseBody(response: InboundResponse): ParsedBody {
  const type = (response.headers['content-type'] ?? '').toLowerCase();
  const text = response.body.toString('utf8').trim();
  if (type.includes('json')) return parseJson(text);
  if (type.includes('x-www-form-urlencoded')) return parseForm(text);
  if (text.startsWith('{')) return parseJson(text);
  if (/^[^\s<>{}=&]+=[^\s<>]*$/.test(text)) return parseForm(text);
  return { ok: false };
}

function parseJson(text: string): ParsedBody {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? { ok: true, value } : { ok: false };
  } catch {
    return { ok: false };
  }
}

function parseForm(text: string): ParsedBody {
  const value: Record<string, unknown> = {};
  for (const [name, item] of new URLSearchParams(text)) value[name] = item;
  return { ok: true, value };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows a dot path (`data.token`) through own properties of plain objects only: no prototype walking. */
export function readPath(source: Record<string, unknown>, path: string): unknown {
  let current: unknown = source;
  for (const key of path.split('.')) {
    if (!isRecord(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}
