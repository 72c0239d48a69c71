/**
 * The one place that decides whether an OAuth endpoint's failure is permanent (the connection needs new
 * configuration) or transient (retry, after Retry-After when given).
 */
import {
  AppError,
  type ErrorCode,
  isOAuthErrorCode,
  OAUTH_PERMANENT_ERROR_CODES,
  OAUTH_TRANSIENT_ERROR_CODES,
} from '../errors.js';
import { parseRetryAfter } from '../http/retry-after.js';
import type { InboundResponse } from '../http/send.js';
import { parseBody } from './body.js';
import { excerpt } from './excerpt.js';

export { excerpt };

const PERMANENT_ERROR_CODES: ReadonlySet<string> = new Set(OAUTH_PERMANENT_ERROR_CODES);
const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set(OAUTH_TRANSIENT_ERROR_CODES);
/** By common practice these 4xx statuses are worth retrying. */
export const TRANSIENT_4XX = new Set([408, 409, 423, 425, 429]);

const MAX_DESCRIPTION = 200;

/** A provider's error value worth quoting is a short identifier; anything else from the remote side is not used. */
const SAFE_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The provider's `error` value decides permanent or transient as RFC 6749 says, whatever it is; it becomes our code
 * only when it is an RFC code (see `error-codes.ts`). Any other value is quoted as "provider error …" next to a code
 * of ours chosen by the status, so `{"error":"store_unavailable"}` reads as the provider's words, not our outage.
 * @param secrets Secret values of the connection to scrub from the message, should the server echo them.
 */
export function classifyTokenEndpointFailure(
  response: InboundResponse,
  secrets: readonly string[] = [],
  endpoint = 'token endpoint',
): AppError {
  const parsed = parseBody(response);
  const fields = parsed.ok ? parsed.value : {};
  const providerError = typeof fields.error === 'string' && SAFE_CODE.test(fields.error) ? fields.error : undefined;
  const transient = isTransient(response.status, providerError);
  const ours = providerError !== undefined && isOAuthErrorCode(providerError);
  const code: ErrorCode = ours ? providerError : codeForStatus(response.status);
  const description =
    typeof fields.error_description === 'string'
      ? excerpt(fields.error_description, MAX_DESCRIPTION, secrets)
      : parsed.ok
        ? ''
        : excerpt(response.body, MAX_DESCRIPTION, secrets);
  const quoted = providerError === undefined || ours ? '' : ` (provider error ${excerpt(providerError, 64, secrets)})`;
  const message = `${endpoint} answered ${response.status} ${code}${quoted}${description ? `: ${description}` : ''}`;
  const options = { status: response.status, providerError };
  if (!transient) return new AppError('permanent', code, message, options);
  const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
  return new AppError('transient', code, message, { ...options, retryAfterMs });
}

/** A broken server (5xx) is transient whatever it says; below that the error code decides, then the status. */
function isTransient(status: number, error: string | undefined): boolean {
  if (status >= 500) return true;
  if (error !== undefined && TRANSIENT_ERROR_CODES.has(error)) return true;
  if (error !== undefined && PERMANENT_ERROR_CODES.has(error)) return false;
  return TRANSIENT_4XX.has(status);
}

function codeForStatus(status: number): ErrorCode {
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  if (TRANSIENT_4XX.has(status)) return 'temporarily_unavailable';
  return 'token_endpoint_error';
}
