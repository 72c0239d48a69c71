/**
 * The connector's test API: one request that proves the credentials work and yields the values that name the
 * connection (`{{test.…}}`).
 */
import type { ResolvedConnector } from '../definitions/resolve.js';
import { renderText, renderUrl, type TemplateContext, templateVariables } from '../definitions/templates.js';
import { holdsSecret } from '../domain/secret-forms.js';
import { AppError } from '../errors.js';
import { assertHeaderSafe } from '../http/headers.js';
import { parseRetryAfter } from '../http/retry-after.js';
import type { InboundResponse, Transport } from '../http/send.js';
import { isRecord, readPath } from '../oauth/body.js';
import { excerpt } from '../oauth/excerpt.js';
import { inSpan } from '../telemetry/tracing.js';
import { buildApiRequest, renderDefaults } from './api-request.js';
import { secretValues } from './context.js';

const TEST_RESPONSE_LIMIT = 1024 * 1024;

/** Sends the test request for `context` (which must hold the token). */
export async function sendTestRequest(
  send: Transport,
  connector: ResolvedConnector,
  context: TemplateContext,
  timeoutMs: number,
): Promise<InboundResponse> {
  const test = connector.test;
  if (!test) throw new AppError('permanent', 'no_test_api', `connector ${connector.key} has no test API`);
  const query: Record<string, string> = {};
  for (const [name, template] of Object.entries(test.query)) query[name] = renderText(template, context);
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(test.headers)) {
    headers[name] = renderText(template, context);
    assertHeaderSafe(name, headers[name], `test.headers.${name}`);
  }
  const request = buildApiRequest(
    renderDefaults(connector, context),
    { method: test.method, url: new URL(renderUrl(test.url, context)), headers, query, body: test.body },
    { timeoutMs, maxResponseBytes: TEST_RESPONSE_LIMIT },
  );
  return inSpan('connection.test_request', {}, () => send(request));
}

/** True when the answer says the token is no longer valid (`expiredWhen`). */
export function isExpiredAnswer(connector: ResolvedConnector, response: InboundResponse): boolean {
  const rule = connector.expiredWhen;
  if (rule.status.includes(response.status)) return true;
  if (!rule.body) return false;
  const body = parseJson(response.body);
  const value = readPath(body, rule.body.path);
  return value !== undefined && rule.body.equals.some((expected) => String(expected) === String(value));
}

/**
 * Classifies a failed test answer: 5xx, 408 and 429 are worth retrying; any other non-2xx means the credentials or
 * the definition are wrong. The message has the status and a short excerpt free of the secrets in `context`.
 */
export function testFailure(
  response: InboundResponse,
  connector: ResolvedConnector,
  context: TemplateContext,
): AppError {
  const secretKeys = connector.fields.filter((field) => field.type === 'secret').map((field) => field.key);
  const transient = response.status >= 500 || response.status === 408 || response.status === 429;
  return new AppError(
    transient ? 'transient' : 'permanent',
    'test_failed',
    `test API answered ${response.status}: ${excerpt(response.body, 200, secretValues(context, secretKeys))}`,
    { status: response.status, retryAfterMs: parseRetryAfter(response.headers['retry-after']) },
  );
}

/**
 * The values of a test response that the connector's templates use, and nothing else (never the whole answer). A
 * value holding a secret of the connection is left out: test values are stored in clear and may name the connection.
 * @param secrets every secret of the connection in every form, as `secretValues` lists them
 */
export function pickTestValues(
  connector: ResolvedConnector,
  response: InboundResponse,
  secrets: readonly string[],
): Record<string, unknown> {
  const body = parseJson(response.body);
  const picked: Record<string, unknown> = {};
  for (const path of testPaths(connector)) {
    const value = readPath(body, path);
    if (value === undefined || (typeof value === 'object' && value !== null)) continue;
    if (typeof value === 'string' && holdsSecret(value, secrets)) continue;
    setPath(picked, path, value);
  }
  return picked;
}

function testPaths(connector: ResolvedConnector): string[] {
  const templates = [
    connector.connectionName,
    connector.uniqueIdentifier,
    ...connector.allowedUrls,
    ...Object.values(connector.requestDefaults.headers),
    ...Object.values(connector.requestDefaults.query),
  ];
  const paths = new Set<string>();
  for (const template of templates) {
    for (const variable of templateVariables(template)) {
      if (variable.startsWith('test.')) paths.add(variable.slice('test.'.length));
    }
  }
  return [...paths];
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}

/** Writes `value` at a dot path; paths come from validated templates, which never name prototype properties. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.split('.');
  let node = target;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    if (!isRecord(next)) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[segments.at(-1) as string] = value;
}
