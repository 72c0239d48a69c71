/**
 * One error type for the whole service. The `kind` decides what a job does with it (jobs only translate it into
 * BullMQ terms): `invalid_input` and `not_found` and `permanent` fail at once; `transient` is retried with backoff,
 * after `retryAfterMs` when the remote side said so.
 *
 * Messages must never contain a secret or a token: they end up in Redis (failedReason) and on Bull Board.
 * Codes come from the closed catalogue in `error-codes.ts`.
 */
import type { ErrorCode } from './error-codes.js';

export {
  ERROR_CODES,
  type ErrorCode,
  isOAuthErrorCode,
  OAUTH_PERMANENT_ERROR_CODES,
  OAUTH_TRANSIENT_ERROR_CODES,
} from './error-codes.js';
export type ErrorKind = 'invalid_input' | 'not_found' | 'permanent' | 'transient';

export interface AppErrorOptions {
  /** HTTP status of the remote answer that caused it, if any. */
  status?: number;
  /** Delay asked for by the remote side (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  /** The remote side's own error value (an OAuth `error`), reported apart from our code. */
  providerError?: string;
  cause?: unknown;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly providerError?: string;

  constructor(
    readonly kind: ErrorKind,
    /** Stable machine-readable code from the catalogue, such as `invalid_client`, `timeout`, `url_not_allowed`. */
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    if (options.providerError !== undefined) this.providerError = options.providerError;
  }
}

export const invalidInput = (code: ErrorCode, message: string) => new AppError('invalid_input', code, message);
export const notFound = (what: string) => new AppError('not_found', 'not_found', `${what} not found`);

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
