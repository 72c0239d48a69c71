/**
 * `connectors try`: everything `connect` does before it stores (fields, token request, test API, connection name,
 * unique identifier), and optionally one API call, through the worker's own functions and transport. Nothing is
 * stored: the result is a report of the exchanges, masked, and of what to change when something failed.
 */
import { buildApiRequest, renderDefaults } from '../connections/api-request.js';
import { secretValues } from '../connections/context.js';
import { isExpiredAnswer, pickTestValues, sendTestRequest, testFailure } from '../connections/test-api.js';
import { renewalTime, tokenEndpointSpec } from '../connections/token.js';
import { secretFieldKeys, validateFieldValues } from '../definitions/fields.js';
import { resolveConnector } from '../definitions/resolve.js';
import type { ConnectorDefinition } from '../definitions/schema.js';
import { renderText, renderUrl, type TemplateContext } from '../definitions/templates.js';
import type { FieldValue } from '../domain/model.js';
import { AppError, isAppError } from '../errors.js';
import { checkAllowed, compileAllowedUrls, resolveCallUrl } from '../http/guard.js';
import type { Transport } from '../http/send.js';
import { parseBody, readPath } from '../oauth/body.js';
import { requestToken } from '../oauth/client.js';
import type { TokenSet } from '../oauth/types.js';
import { apiAdvice, lifetimeAdvice, tokenAdvice, tokenLikePaths } from './advice.js';
import { Masker, type PrintedExchange } from './mask.js';
import { type ProbeAttempt, probe } from './probe.js';
import { Recorder } from './recorder.js';

export interface TryLimits {
  tokenTimeoutMs: number;
  callTimeoutMs: number;
  callMaxResponseBytes: number;
}

export interface TryOptions extends TryLimits {
  /** One API call after the test, such as `{ method: 'GET', path: 'users' }` (relative to the first allowed URL). */
  call?: { method: string; path: string };
  /** After a refused token request, try the other client authentications. @default false */
  probe?: boolean;
  /** The transport that really sends: the worker's, made from the same settings (`createTransportFrom`). */
  transport: Transport;
}

export type TryStep = 'fields' | 'token' | 'test' | 'identity' | 'call';

export interface TryReport {
  connector: string;
  ok: boolean;
  exchanges: PrintedExchange[];
  token?: {
    type: string | null;
    scopes: string[] | null;
    /** null: the token does not expire. */
    lifetimeSeconds: number | null;
    expiresAt: string | null;
    renewAt: string | null;
  };
  connectionName?: string;
  uniqueId?: string;
  failure?: { step: TryStep; code: string; message: string };
  advice: string[];
  probe?: ProbeAttempt[];
}

class StepFailure extends Error {
  constructor(
    readonly step: TryStep,
    readonly reason: unknown,
  ) {
    super(isAppError(reason) ? reason.message : 'failed');
  }
}

async function at<T>(step: TryStep, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new StepFailure(step, error);
  }
}

/** Runs the connect steps for `definition` (validated) with `input` field values. Never stores, never throws. */
export async function tryConnector(
  definition: ConnectorDefinition,
  input: Record<string, unknown>,
  options: TryOptions,
): Promise<TryReport> {
  const connector = resolveConnector(definition);
  const recorder = new Recorder(options.transport);
  const report: TryReport = { connector: definition.key, ok: false, exchanges: [], advice: [] };
  const secrets: string[] = [];
  let context: TemplateContext = { fields: {} };
  try {
    const values = await at('fields', () => validateFieldValues(definition, input));
    secrets.push(...secretValuesOf(values, secretFieldKeys(definition)));
    context = { fields: values };
    const issuedAt = new Date();
    const tokens = await at('token', () =>
      requestToken(
        tokenEndpointSpec(connector, context, options.tokenTimeoutMs),
        recorder.transport('token'),
        issuedAt,
      ),
    );
    secrets.push(tokens.accessToken, ...(tokens.refreshToken ? [tokens.refreshToken] : []));
    report.token = tokenSummary(tokens, issuedAt, connector.renewal);
    report.advice.push(...lifetimeAdvice(connector, recorder.lastResponse('token')));
    Object.assign(context, {
      access_token: tokens.accessToken,
      token_type: tokens.tokenType ?? undefined,
      token: tokens.meta,
    });

    if (connector.test) {
      const response = await at('test', () =>
        sendTestRequest(recorder.transport('test'), connector, context, options.tokenTimeoutMs),
      );
      if (response.status < 200 || response.status >= 300 || isExpiredAnswer(connector, response)) {
        report.advice.push(...apiAdvice(connector, response, 'the test API'));
        throw new StepFailure('test', testFailure(response, connector, context));
      }
      context.test = pickTestValues(connector, response, secretValues(context, secretFieldKeys(definition)));
    }
    await at('identity', () => {
      report.uniqueId = renderText(connector.uniqueIdentifier, context).trim();
      report.connectionName = renderText(connector.connectionName, context).trim();
      if (report.uniqueId === '') {
        throw new AppError(
          'permanent',
          'empty_unique_identifier',
          `uniqueIdentifier ${connector.uniqueIdentifier} rendered empty; point it at a value the test API returns`,
        );
      }
    });
    if (options.call) await callOnce(connector, context, options, recorder, report);
    report.ok = true;
  } catch (error) {
    const failure = error instanceof StepFailure ? error : new StepFailure('token', error);
    const cause = failure.reason;
    report.failure = {
      step: failure.step,
      code: isAppError(cause) ? cause.code : 'failed',
      message: isAppError(cause) ? cause.message : 'unexpected error',
    };
    if (failure.step === 'token') {
      secrets.push(...tokenLikeValues(connector, recorder));
      report.advice.push(...tokenAdvice(cause, connector, recorder.lastResponse('token')));
      if (options.probe) report.probe = await probe(definition, context, options.tokenTimeoutMs, recorder);
    }
  }
  const masker = new Masker(secrets);
  report.exchanges = recorder.exchanges.map((exchange) => masker.exchange(exchange));
  if (report.failure) report.failure.message = masker.text(report.failure.message);
  return report;
}

async function callOnce(
  connector: ReturnType<typeof resolveConnector>,
  context: TemplateContext,
  options: TryOptions,
  recorder: Recorder,
  report: TryReport,
): Promise<void> {
  const call = options.call as NonNullable<TryOptions['call']>;
  const response = await at('call', async () => {
    const allowed = compileAllowedUrls(connector.allowedUrls.map((template) => renderUrl(template, context)));
    const url = resolveCallUrl(call.path, allowed);
    checkAllowed(url, allowed);
    const request = buildApiRequest(
      renderDefaults(connector, context),
      { method: call.method, url },
      { timeoutMs: options.callTimeoutMs, maxResponseBytes: options.callMaxResponseBytes },
    );
    return recorder.transport('call')(request);
  });
  if (response.status >= 400) {
    report.advice.push(...apiAdvice(connector, response, 'the call'));
    throw new StepFailure(
      'call',
      new AppError('permanent', 'call_failed', `${call.method} ${call.path} answered ${response.status}`),
    );
  }
}

/** Values that look like a token in an answer the definition could not read one from: masked all the same. */
function tokenLikeValues(connector: ReturnType<typeof resolveConnector>, recorder: Recorder): string[] {
  const response = recorder.lastResponse('token');
  const parsed = response ? parseBody(response) : undefined;
  if (!parsed?.ok) return [];
  return tokenLikePaths(parsed.value, connector.token.response.accessToken).map((path) =>
    String(readPath(parsed.value, path)),
  );
}

function secretValuesOf(values: Record<string, FieldValue>, keys: string[]): string[] {
  return keys.flatMap((key) => (values[key] === undefined ? [] : [String(values[key])]));
}

function tokenSummary(
  tokens: TokenSet,
  issuedAt: Date,
  renewal: { marginSeconds: number; marginRatio: number },
): NonNullable<TryReport['token']> {
  const renewAt = renewalTime(tokens.expiresAt, issuedAt, renewal);
  return {
    type: tokens.tokenType,
    scopes: tokens.scopes,
    lifetimeSeconds: tokens.expiresAt ? Math.round((tokens.expiresAt.getTime() - issuedAt.getTime()) / 1000) : null,
    expiresAt: tokens.expiresAt?.toISOString() ?? null,
    renewAt: renewAt?.toISOString() ?? null,
  };
}
