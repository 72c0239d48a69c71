/**
 * `{{variable}}` templates: parsed once (cached by template string), rendered with a context. No code is ever
 * evaluated; lookups follow own properties only and refuse `__proto__`, `constructor` and `prototype`.
 *
 * Variables: `{{field_key}}`, `{{access_token}}`, `{{token_type}}`, `{{token.<path>}}` (token response metadata) and
 * `{{test.<path>}}` (test response values). Paths are dot-separated; numeric segments index arrays.
 *
 * `renderUrl` encodes each value for the URL part it lands in, so a value can never change which host a URL points
 * to: see `docs/connectors.md#url-safety`.
 */

import type { FieldValue } from '../domain/model.js';
import { AppError } from '../errors.js';
import { isSecureUrl, SECURE_URL_HINT } from './urls.js';

export interface TemplateContext {
  /** All field values, including opened secret values. */
  fields: Record<string, FieldValue | undefined>;
  access_token?: string;
  token_type?: string;
  /** Non-secret token response metadata, for `{{token.…}}`. */
  token?: Record<string, unknown>;
  /** Values of the test response, for `{{test.…}}`. */
  test?: Record<string, unknown>;
}

export type VariableSource = 'field' | 'access_token' | 'token_type' | 'token' | 'test';

export interface TemplateVariable {
  /** As written, such as `token.instance_url`. */
  name: string;
  source: VariableSource;
  /** For fields, the key then any (invalid) further segments; otherwise the path inside `token`/`test`. */
  path: string[];
}

export type TemplatePart = { text: string } | { variable: TemplateVariable };

/** Where in a URL a piece lands; decides its encoding. `origin` is a whole origin from a provider response. */
export type UrlSlot = 'scheme' | 'origin' | 'host' | 'port' | 'path' | 'query' | 'fragment';
export type UrlPiece = TemplatePart & { slot: UrlSlot };

export const FORBIDDEN_PATH_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const VARIABLE = /\{\{([^{}]*)\}\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_$-]+)*$/;
const HOST_LABELS = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const IPV4_LIKE = /^[0-9.]+$|^0x/i;
/** Templates come from definitions, a bounded set; the bound only protects against misuse. */
const CACHE_LIMIT = 2000;

const parsedTemplates = new Map<string, readonly TemplatePart[]>();
const urlPlans = new Map<string, readonly UrlPiece[]>();

function invalidTemplate(message: string): AppError {
  return new AppError('invalid_input', 'invalid_template', message);
}

function unsafeUrl(message: string): AppError {
  return new AppError('invalid_input', 'unsafe_url', message);
}

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

function toVariable(name: string): TemplateVariable {
  if (!VARIABLE_NAME.test(name)) {
    throw invalidTemplate(`{{${name}}} is not a variable name; use letters, digits and _ separated by dots`);
  }
  const segments = name.split('.');
  const forbidden = segments.find((segment) => FORBIDDEN_PATH_SEGMENTS.has(segment));
  if (forbidden !== undefined) {
    throw invalidTemplate(
      `{{${name}}} uses ${forbidden}; __proto__, constructor and prototype are not allowed in paths`,
    );
  }
  const [root, ...rest] = segments as [string, ...string[]];
  if ((root === 'token' || root === 'test') && rest.length > 0) return { name, source: root, path: rest };
  if ((root === 'access_token' || root === 'token_type') && rest.length === 0) return { name, source: root, path: [] };
  return { name, source: 'field', path: segments };
}

/** Parses a template (cached). Throws AppError `invalid_template` for malformed or forbidden variables. */
export function parseTemplate(template: string): readonly TemplatePart[] {
  const cached = parsedTemplates.get(template);
  if (cached !== undefined) return cached;
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of template.matchAll(VARIABLE)) {
    pushText(parts, template.slice(last, match.index));
    parts.push({ variable: toVariable(match[1]!.trim()) });
    last = match.index + match[0].length;
  }
  pushText(parts, template.slice(last));
  return remember(parsedTemplates, template, parts);
}

function pushText(parts: TemplatePart[], text: string): void {
  if (text === '') return;
  if (text.includes('{{')) throw invalidTemplate(`"{{" without a matching "}}"; write variables as {{name}}`);
  parts.push({ text });
}

/** The variables a template uses, in order of first use, such as `['environment', 'token.instance_url']`. */
export function templateVariables(template: string): string[] {
  const names = new Set<string>();
  for (const part of parseTemplate(template)) if ('variable' in part) names.add(part.variable.name);
  return [...names];
}

function lookup(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    if (Array.isArray(value) && !/^\d+$/.test(segment)) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** The raw value of a variable; undefined when missing. */
function variableValue(variable: TemplateVariable, ctx: TemplateContext): unknown {
  switch (variable.source) {
    case 'access_token':
      return ctx.access_token;
    case 'token_type':
      return ctx.token_type;
    case 'token':
      return lookup(ctx.token, variable.path);
    case 'test':
      return lookup(ctx.test, variable.path);
    case 'field':
      return lookup(ctx.fields, variable.path);
  }
}

/** Strings as they are, numbers and booleans as text, everything else (objects, null, missing) as ''. */
function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** Renders header values, names and body strings. A missing value renders as ''. */
export function renderText(template: string, ctx: TemplateContext): string {
  let out = '';
  for (const part of parseTemplate(template)) {
    out += 'text' in part ? part.text : stringify(variableValue(part.variable, ctx));
  }
  return out;
}

/**
 * Like `renderText`, but undefined when the template is only variables (and whitespace) and every one of them is
 * empty or missing: such an optional parameter is left out rather than sent empty.
 */
export function renderOptional(template: string, ctx: TemplateContext): string | undefined {
  const parts = parseTemplate(template);
  const onlyVariables =
    parts.some((part) => 'variable' in part) && parts.every((p) => 'variable' in p || !p.text.trim());
  if (onlyVariables && parts.every((p) => 'text' in p || stringify(variableValue(p.variable, ctx)) === ''))
    return undefined;
  return renderText(template, ctx);
}

function nextSlot(slot: UrlSlot, char: string, inBrackets: boolean): UrlSlot {
  if (char === '#') return 'fragment';
  if (slot === 'fragment') return slot;
  if (char === '?') return 'query';
  if (slot === 'query') return slot;
  if (char === '/') return 'path';
  if (char === ':' && slot === 'host' && !inBrackets) return 'port';
  return slot;
}

/** Splits literal text into pieces by the URL part each character belongs to. */
function planText(text: string, start: UrlSlot, pieces: UrlPiece[]): UrlSlot {
  let slot = start;
  let offset = 0;
  let pieceStart = 0;
  if (slot === 'scheme') {
    const end = text.indexOf('://');
    if (end === -1) throw unsafeUrl('not an absolute URL; start it with https://');
    pieces.push({ text: text.slice(0, end + 3), slot });
    slot = 'host';
    offset = pieceStart = end + 3;
  }
  let inBrackets = false;
  for (let i = offset; i < text.length; i++) {
    const char = text[i]!;
    if (slot === 'host' && char === '@') throw unsafeUrl('user names and passwords are not allowed in URLs');
    if (slot === 'host' && (char === '[' || char === ']')) inBrackets = char === '[';
    const next = nextSlot(slot, char, inBrackets);
    if (next !== slot) {
      if (i > pieceStart) pieces.push({ text: text.slice(pieceStart, i), slot });
      pieceStart = i;
      slot = next;
    }
  }
  if (text.length > pieceStart) pieces.push({ text: text.slice(pieceStart), slot });
  return slot;
}

/**
 * Where each part of a URL template lands (cached). Throws AppError `unsafe_url` when a variable would supply the
 * scheme, or an origin while not at the very start, or a field value would supply the origin.
 */
export function planUrl(template: string): readonly UrlPiece[] {
  const cached = urlPlans.get(template);
  if (cached !== undefined) return cached;
  const pieces: UrlPiece[] = [];
  let slot: UrlSlot = 'scheme';
  let origin: string | undefined;
  for (const [index, part] of parseTemplate(template).entries()) {
    if (index === 1 && origin !== undefined && !('text' in part && /^[/?#]/.test(part.text))) {
      throw unsafeUrl(`what follows {{${origin}}} must start with /, ? or #`);
    }
    if ('text' in part) {
      slot = planText(part.text, slot, pieces);
    } else if (slot !== 'scheme') {
      pieces.push({ ...part, slot });
    } else if (index === 0 && (part.variable.source === 'token' || part.variable.source === 'test')) {
      pieces.push({ ...part, slot: 'origin' });
      origin = part.variable.name;
      slot = 'path';
    } else {
      throw unsafeUrl(
        `{{${part.variable.name}}} cannot supply the scheme or host; write https://host/ first (only {{token.…}} or {{test.…}} at the very start may supply an origin)`,
      );
    }
  }
  return remember(urlPlans, template, pieces);
}

function renderOrigin(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw unsafeUrl(`{{${name}}} is not an absolute URL`);
  }
  if (!isSecureUrl(url)) throw unsafeUrl(`{{${name}}}: ${SECURE_URL_HINT}`);
  if (url.username || url.password || url.search || url.hash) {
    throw unsafeUrl(`{{${name}}} must be an origin (and path) without credentials, query or fragment`);
  }
  // `{{token.instance_url}}/services/` must not become `…//services/`.
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function renderUrlValue(piece: UrlPiece & { variable: TemplateVariable }, value: string): string {
  switch (piece.slot) {
    case 'origin':
      return renderOrigin(piece.variable.name, value);
    case 'host':
      if (!HOST_LABELS.test(value)) {
        throw unsafeUrl(
          `{{${piece.variable.name}}} must be a host name: letters, digits and hyphens, labels separated by single dots`,
        );
      }
      return value;
    case 'port':
      if (!/^\d{0,5}$/.test(value)) throw unsafeUrl(`{{${piece.variable.name}}} must be a port number`);
      return value;
    default:
      return encodeURIComponent(value);
  }
}

/**
 * Renders an absolute URL, encoding every value for the URL part it lands in: host values must be host labels,
 * path, query and fragment values are percent-encoded, and only a `{{token.…}}`/`{{test.…}}` value at the very start
 * may supply an origin. The result must be `https:` (or `http:` to a loopback host).
 * Throws AppError('invalid_input', 'unsafe_url') otherwise; messages never include values.
 */
export function renderUrl(template: string, ctx: TemplateContext): string {
  let out = '';
  let path = '';
  let hostVariable: string | undefined;
  for (const piece of planUrl(template)) {
    const rendered =
      'variable' in piece ? renderUrlValue(piece, stringify(variableValue(piece.variable, ctx))) : piece.text;
    out += rendered;
    if (piece.slot === 'path') path += rendered;
    if (piece.slot === 'host' && 'variable' in piece) hostVariable = piece.variable.name;
  }
  let url: URL;
  try {
    url = new URL(out);
  } catch {
    throw unsafeUrl('the rendered URL is not a valid absolute URL; check the host and port fields');
  }
  if (!isSecureUrl(url)) throw unsafeUrl(SECURE_URL_HINT);
  if (url.username || url.password) throw unsafeUrl('user names and passwords are not allowed in URLs');
  // The URL parser resolves `.`/`..` segments (also as %2e), which would move a path outside its prefix.
  if (path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment))) {
    throw unsafeUrl('path segments . and .. are not allowed');
  }
  // A numeric last label turns the host into an IPv4 address: a field must not redirect to an address.
  if (hostVariable !== undefined && IPV4_LIKE.test(url.hostname.split('.').at(-1) ?? '')) {
    throw unsafeUrl(`{{${hostVariable}}} cannot turn the host into an IP address; give a host name`);
  }
  return url.href;
}
