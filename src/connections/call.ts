/**
 * call: an API request made with a connection's credentials, without the caller ever seeing them.
 *
 * load (cached, version-checked) → resolve and check the URL against the allowed URLs → make sure the token is valid
 * (single-flight renewal) → send with defaults, limits and the redirect policy → on an `expiredWhen` answer renew
 * once (forced, single-flight) and send again → shape the answer with every secret taken out. Every request first
 * passes the connection's budgets (`budgets/`), and every answer teaches them.
 */

import type { Connection } from '../domain/model.js';
import type { CallCommand, CallResult } from '../domain/use-cases.js';
import { AppError } from '../errors.js';
import { decodeContent, isEncoded } from '../http/content-encoding.js';
import { checkAllowed, isAllowed, resolveCallUrl } from '../http/guard.js';
import { callerHeaders, maskHeaders } from '../http/headers.js';
import { shapeResponseBody, storedResultLimit, storedSizeOver } from '../http/response-body.js';
import { parseRetryAfter } from '../http/retry-after.js';
import { describeRequest, type InboundResponse, type OutboundRequest, type Transport } from '../http/send.js';
import { buildApiRequest } from './api-request.js';
import { budgetPlan, connectionScope } from './budgets/plan.js';
import type { WaitState } from './budgets/wait.js';
import type { LoadedConnection } from './cache.js';
import { assertUsable, loadOwned, patchConnection } from './load.js';
import { type PreparedConnection, prepareConnection } from './prepare.js';
import { ensureUsableToken, renewToken } from './renew.js';
import type { Services } from './services.js';
import { isExpiredAnswer } from './test-api.js';
import { isTokenDue } from './token.js';

/** Answers worth another attempt: the upstream is overloaded or briefly away. */
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export interface CallOptions {
  /** On the last attempt a retryable answer is returned to the caller instead of thrown. @default false */
  finalAttempt?: boolean;
  /** What this call waited for budgets before, and the slot it booked. @default nothing waited */
  budget?: WaitState;
}

const NOTHING_WAITED: WaitState = { waitedMs: 0 };

export async function callApi(
  services: Services,
  payload: CallCommand,
  options: CallOptions = {},
): Promise<CallResult> {
  let loaded = await loadUsable(services, payload);
  const { allowed } = prepareConnection(services, loaded);
  const url = resolveCallUrl(payload.url, allowed);
  checkAllowed(url, allowed);

  if (isTokenDue(loaded.connection, Date.now(), 'use')) {
    await ensureUsableToken(services, loaded.connection);
    loaded = await loadUsable(services, payload);
  }
  let response = await sendOnce(services, loaded, payload, url, options.budget ?? NOTHING_WAITED);
  if (isExpiredAnswer(loaded.connector.resolved, response) && !rejectedRecently(services, loaded.connection)) {
    await renewToken(services, loaded.connection, { force: true, staleToken: loaded.connection.accessToken });
    loaded = await loadUsable(services, payload);
    response = await sendOnce(services, loaded, payload, url, { waitedMs: options.budget?.waitedMs ?? 0 });
    if (isExpiredAnswer(loaded.connector.resolved, response))
      await recordRejectedToken(services, loaded, response.status);
  }
  if (RETRY_STATUSES.has(response.status) && !options.finalAttempt) {
    throw new AppError(
      'transient',
      'upstream_unavailable',
      `${payload.method ?? 'GET'} ${url.origin}${url.pathname} answered ${response.status}`,
      {
        status: response.status,
        retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      },
    );
  }
  const answer = shapeAnswer(response, prepareConnection(services, loaded));
  checkStoredSize(answer, response.body.length, services.settings.callMaxResponseBytes, () =>
    describeRequest(payload.method ?? 'GET', url.href),
  );
  return answer;
}

/**
 * Refuses an answer whose JSON form, kept in Redis as the job's result, would outgrow what CALL_MAX_RESPONSE_BYTES
 * allows a body to take base64-grown: text full of control characters escapes to six times its size. The Redis
 * memory held by finished calls is bounded by that limit (docs/OPERATIONS.md).
 */
function checkStoredSize(
  answer: CallResult,
  bodyBytes: number,
  maxResponseBytes: number,
  // Described only when refused: parsing the URL again for every call shows on the call path.
  describe: () => string,
): void {
  const limit = storedResultLimit(maxResponseBytes);
  const size = storedSizeOver(answer, bodyBytes, limit);
  if (size === undefined) return;
  throw new AppError(
    'permanent',
    'response_too_large',
    `${describe()}: the answer takes ${size} bytes as the job's result (JSON escapes it), ` +
      `more than ${limit} (CALL_MAX_RESPONSE_BYTES base64-grown, plus headers); raise CALL_MAX_RESPONSE_BYTES if this is expected`,
  );
}

async function loadUsable(services: Services, payload: CallCommand): Promise<LoadedConnection> {
  const loaded = await loadOwned(services, payload.owner, payload.connectionId);
  assertUsable(loaded.connection);
  return loaded;
}

async function sendOnce(
  services: Services,
  loaded: LoadedConnection,
  payload: CallCommand,
  url: URL,
  waited: WaitState,
): Promise<InboundResponse> {
  const { settings, budgets } = services;
  const prepared = prepareConnection(services, loaded);
  const timeoutMs = Math.min(payload.timeoutMs ?? settings.callTimeoutMs, settings.callMaxTimeoutMs);
  const request = buildApiRequest(
    prepared.defaults,
    { method: payload.method ?? 'GET', url, headers: payload.headers, query: payload.query, body: payload.body },
    { timeoutMs, maxResponseBytes: settings.callMaxResponseBytes },
  );
  const plan = budgetPlan(services, loaded);
  const release = plan && (await budgets.admit(plan, waited, timeoutMs));
  let response: InboundResponse;
  try {
    response = await sendFollowingRedirects(services.transport, request, prepared);
  } finally {
    release?.();
  }
  const { id, connector } = loaded.connection;
  budgets.learn(connectionScope(id), connector, response.status, response.headers);
  if (!isEncoded(response)) return response;
  return decodeContent(response, settings.callMaxResponseBytes, describeRequest(request.method, request.url));
}

/**
 * Follows a redirect only to an allowed URL, at most MAX_REDIRECTS times; any other redirect is returned as it is.
 * Credentials never follow a redirect to another origin.
 */
async function sendFollowingRedirects(
  send: Transport,
  first: OutboundRequest,
  prepared: PreparedConnection,
): Promise<InboundResponse> {
  let request = first;
  for (let hop = 0; ; hop++) {
    const response = await send(request);
    const location = response.headers.location;
    if (!REDIRECT_STATUSES.has(response.status) || !location || hop >= MAX_REDIRECTS) return response;
    const next = URL.canParse(location, request.url) ? new URL(location, request.url) : null;
    if (!next || !isAllowed(next, prepared.allowed)) return response;
    const becomesGet =
      response.status === 303 || ((response.status === 301 || response.status === 302) && request.method === 'POST');
    const method = becomesGet && request.method !== 'HEAD' ? 'GET' : request.method;
    let headers = request.headers;
    if (next.origin !== new URL(request.url).origin) headers = withoutCredentials(headers, prepared.secrets);
    if (method !== request.method)
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'content-type'));
    request = {
      ...request,
      url: next.href,
      method,
      headers,
      body: method === request.method ? request.body : undefined,
    };
  }
}

function withoutCredentials(headers: Record<string, string>, secrets: string[]): Record<string, string> {
  const masked = maskHeaders(headers, secrets);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => masked[name] === headers[name]));
}

/** The answer as the caller sees it: no hop-by-hop headers, and no secret of the connection anywhere in it. */
function shapeAnswer(response: InboundResponse, prepared: PreparedConnection): CallResult {
  const headers = callerHeaders(response.headers, prepared.secrets);
  return {
    status: response.status,
    headers,
    body: shapeResponseBody(response.body, response.headers['content-type'], prepared.secrets),
  };
}

/**
 * The API rejected this very token right after a renewal, within the cooldown: renewing again would only hammer the
 * token endpoint once per call (a renewal that succeeds clears `lastError`, so a new token is always tried).
 */
function rejectedRecently(services: Services, connection: Connection): boolean {
  const { lastError } = connection;
  return (
    lastError?.code === 'token_rejected' && Date.now() - lastError.at.getTime() < services.settings.renewalCooldownMs
  );
}

/** The provider rejected even a fresh token: record it, so operators see the connection needs attention. */
async function recordRejectedToken(services: Services, loaded: LoadedConnection, status: number): Promise<void> {
  const lastError = {
    code: 'token_rejected',
    message: `the API answered ${status} even after the token was renewed`,
    at: new Date(),
  };
  const broke = { type: 'connection.error' as const, code: lastError.code, description: lastError.message };
  await patchConnection(services, loaded.connection, (current) =>
    current.status === 'active' ? { lastError, events: [broke] } : null,
  );
}
