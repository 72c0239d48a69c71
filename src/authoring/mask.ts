/**
 * Printable, secret-free copies of recorded exchanges: every known secret value (secret fields, tokens) is replaced
 * wherever it appears, values of secret-looking names (client_secret, client_assertion, access_token…) are masked,
 * and an Authorization header keeps only its scheme.
 */

import { secretForms } from '../domain/secret-forms.js';
import { looksSecretName } from '../domain/secret-names.js';
import { parseBody } from '../oauth/body.js';
import { excerpt } from '../oauth/excerpt.js';
import type { Exchange, Step } from './recorder.js';

export const MASK = '[masked]';
const BODY_EXCERPT = 600;
/** Answer headers worth showing: what the body is, why access was refused, when to retry, rate limits. */
const RELEVANT_HEADER = /^(content-type|www-authenticate|retry-after|location)$|limit/i;

export interface PrintedExchange {
  step: Step;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Form or JSON parameters, or the body as text. */
  params?: unknown;
  status?: number;
  responseHeaders?: Record<string, string>;
  body?: string;
  error?: string;
}

export class Masker {
  /**
   * In every form an exchange may carry them (`secretForms`), longest first, so that a secret containing another is
   * replaced whole.
   */
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    const forms = new Set([...secrets].filter((secret) => secret.length >= 4).flatMap(secretForms));
    this.secrets = [...forms].sort((a, b) => b.length - a.length);
  }

  text(value: string): string {
    let result = value;
    for (const secret of this.secrets) result = result.split(secret).join(MASK);
    return result;
  }

  /** A value found under `name`: an authorization keeps its scheme; masked whole when the name looks secret. */
  named(name: string, value: string): string {
    if (name.toLowerCase() === 'authorization') return `${value.split(' ', 1)[0]} ${MASK}`;
    return looksSecretName(name) ? MASK : this.text(value);
  }

  json(value: unknown, name = ''): unknown {
    if (typeof value === 'string') return this.named(name, value);
    if (Array.isArray(value)) return value.map((item) => this.json(item, name));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.json(item, key)]));
    }
    return value;
  }

  header(name: string, value: string): string {
    return this.named(name, value);
  }

  url(raw: string): string {
    const url = URL.parse(raw);
    if (url === null) return this.text(raw);
    const query = [...url.searchParams].map(([name, value]) => `${name}=${this.named(name, value)}`).join('&');
    return `${url.origin}${this.text(url.pathname)}${query ? `?${query}` : ''}`;
  }

  exchange(exchange: Exchange): PrintedExchange {
    const { request, response } = exchange;
    const printed: PrintedExchange = {
      step: exchange.step,
      method: request.method,
      url: this.url(request.url),
      headers: Object.fromEntries(Object.entries(request.headers).map(([n, v]) => [n, this.header(n, v)])),
    };
    if (request.body !== undefined) printed.params = this.requestBody(request.headers, request.body);
    if (response) {
      printed.status = response.status;
      printed.responseHeaders = Object.fromEntries(
        Object.entries(response.headers)
          .filter(([name]) => RELEVANT_HEADER.test(name))
          .map(([name, value]) => [name, this.named(name, value)]),
      );
      printed.body = this.responseBody(response.body, response.headers);
    }
    if (exchange.error) printed.error = this.text(exchange.error);
    return printed;
  }

  private requestBody(headers: Record<string, string>, body: string | Uint8Array): unknown {
    const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
    const type = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
    if (type.startsWith('application/x-www-form-urlencoded')) {
      return [...new URLSearchParams(text)].map(([name, value]) => `${name}=${this.named(name, value)}`);
    }
    if (type.startsWith('application/json')) {
      try {
        return this.json(JSON.parse(text));
      } catch {
        // Not JSON after all: shown as text below.
      }
    }
    return excerpt(text, BODY_EXCERPT, this.secrets);
  }

  private responseBody(body: Buffer, headers: Record<string, string>): string {
    const parsed = parseBody({ status: 200, headers, body });
    if (parsed.ok) {
      const shown = JSON.stringify(this.json(parsed.value));
      return shown.length > BODY_EXCERPT ? `${shown.slice(0, BODY_EXCERPT - 1)}…` : shown;
    }
    return excerpt(body, BODY_EXCERPT, this.secrets);
  }
}
