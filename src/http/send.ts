/**
 * The outbound HTTP transport: one request, no redirects followed, connect, header and body timeouts, a size
 * limit enforced while the body streams in. Failures become `AppError`s whose messages name the method, origin and
 * path, never the query string (it can carry a token) nor headers.
 *
 * A transport is a value passed to whatever sends (as oauth4webapi's `customFetch`), never a module global: the
 * runtime creates one from the config, and a test or tool may wrap it (to record, to trace) or make its own.
 */
import { type Dispatcher, errors } from 'undici';
import { AppError } from '../errors.js';
import { AnswerCollector } from './collected-answer.js';
import { type Deadline, Deadlines } from './deadline.js';
import { type ClientCertificate, Dispatchers, type TransportOptions } from './dispatcher.js';

export type { TransportOptions } from './dispatcher.js';

export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Budget of the whole request, from connecting to the last byte of the answer. @default 30000 */
  timeoutMs?: number;
  /** Larger responses fail with AppError('permanent', 'response_too_large'). @default 10 MiB */
  maxResponseBytes?: number;
  /** mTLS client certificate (tls_client_auth). */
  tls?: ClientCertificate;
  signal?: AbortSignal;
}

export interface InboundResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

/** Sends one request; see `createTransport`. */
export type Transport = (outbound: OutboundRequest) => Promise<InboundResponse>;

export interface HttpTransport {
  send: Transport;
  /** Closes every pooled connection (waits for requests in flight). */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/** A transport with its own connection pools. */
export function createTransport(options: TransportOptions = {}): HttpTransport {
  const dispatchers = new Dispatchers(options);
  const deadlines = new Deadlines();
  return {
    send: (outbound) => send(dispatchers, deadlines, outbound),
    close: async () => {
      deadlines.close();
      await dispatchers.close();
    },
  };
}

/**
 * Sends one request within its budget as a whole: a deadline (deadline.ts) aborts it in whatever phase it is once
 * the budget is spent, up to SWEEP_MS late; undici's own connect, headers and body timeouts stay as a first line.
 * No timer, AbortController or response stream is created per request: on the call path that cost shows
 * (docs/PERFORMANCE.md); the answer is collected by a dispatch handler (collected-answer.ts).
 */
async function send(
  dispatchers: Dispatchers,
  deadlines: Deadlines,
  outbound: OutboundRequest,
): Promise<InboundResponse> {
  const timeoutMs = outbound.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = outbound.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const deadline = deadlines.start(timeoutMs, outbound.signal);
  try {
    const { origin, path } = dispatchTarget(outbound.url);
    const collector = new AnswerCollector(maxBytes, () => tooLarge(outbound, maxBytes));
    deadline.bind(() => collector.cancel(new errors.RequestAbortedError()));
    dispatchers.for(outbound.tls).dispatch(
      {
        origin,
        path,
        method: outbound.method as Dispatcher.HttpMethod,
        headers: outbound.headers,
        body: outbound.body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      collector,
    );
    return await collector.answer;
  } catch (error) {
    throw toAppError(error, outbound, timeoutMs, deadline);
  } finally {
    deadlines.end(deadline);
  }
}

/** Origin and path of an http(s) URL, as undici's `request()` takes them from it: userinfo and fragment left out. */
function dispatchTarget(href: string): { origin: string; path: string } {
  const url = new URL(href);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new errors.InvalidArgumentError('Invalid URL protocol: the URL must start with `http:` or `https:`.');
  }
  return { origin: url.origin, path: `${url.pathname}${url.search}` };
}

/** `GET https://host/path`: enough to find the call, nothing that can hold a secret (query, userinfo). */
export function describeRequest(method: string, url: string): string {
  try {
    const parsed = new URL(url);
    return `${method} ${parsed.origin}${parsed.pathname}`;
  } catch {
    return `${method} (invalid URL)`;
  }
}

function tooLarge(outbound: OutboundRequest, maxBytes: number): AppError {
  return new AppError(
    'permanent',
    'response_too_large',
    `${describeRequest(outbound.method, outbound.url)}: response larger than ${maxBytes} bytes; raise maxResponseBytes if this is expected`,
  );
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

/**
 * TLS verification failures: retrying cannot help, the certificate (or the trusted CAs, `EXTRA_CA_CERTS`) must change.
 */
function isTlsFailure(code: string): boolean {
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code.includes('CERT') ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN'
  );
}

function toAppError(error: unknown, outbound: OutboundRequest, timeoutMs: number, deadline: Deadline): AppError {
  const what = describeRequest(outbound.method, outbound.url);
  // The egress policy refuses in the connector, which knows the address but not the request.
  if (error instanceof AppError && error.code === 'egress_denied') {
    return new AppError(error.kind, error.code, `${what}: ${error.message}`);
  }
  if (error instanceof AppError) return error;
  const code = errorCode(error);
  if (deadline.expired || TIMEOUT_CODES.has(code)) {
    return new AppError('transient', 'timeout', `${what}: no answer within ${timeoutMs} ms`, { cause: error });
  }
  if (deadline.aborted) {
    return new AppError('transient', 'aborted', `${what}: request aborted`, { cause: error });
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL') {
    return new AppError('invalid_input', 'invalid_request', `${what}: the request cannot be sent (${code})`);
  }
  if (isTlsFailure(code)) {
    return new AppError(
      'permanent',
      'tls_error',
      `${what}: TLS failed (${code}); check the certificates and trusted CAs`,
      {
        cause: error,
      },
    );
  }
  return new AppError('transient', 'network', `${what}: network error (${code || 'connection failed'})`, {
    cause: error,
  });
}

/** The most specific error code, looking through undici's wrappers (`cause`) and aggregated DNS/connect errors. */
function errorCode(error: unknown): string {
  let current: unknown = error;
  let found = '';
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') found = code;
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return found;
}
