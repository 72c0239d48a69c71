/**
 * Which PostgreSQL failures are worth a retry. A restarted or unreachable database must surface as a transient
 * `store_unavailable` (jobs retry it with backoff); every other error is left as it is, since retrying a bug or a
 * constraint violation cannot help.
 */
import { AppError } from '../../errors.js';

/** Socket-level failures raised by Node while connecting or talking to the server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server going away or refusing for now: admin/crash shutdown, starting up, too many connections,
 * and a conflict the server itself tells us to retry.
 */
const RETRYABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);

/** node-postgres reports a dropped socket or a pool wait timeout with these messages and no code. */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Query read timeout',
];

export function isTransientPgError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || RETRYABLE_SQLSTATES.has(code)) return true;
    // Class 08: connection exception.
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return CONNECTION_MESSAGES.some((text) => error.message.includes(text));
}

/**
 * SQLSTATEs of text PostgreSQL cannot store: U+0000 in `text` or `jsonb`, or a lone surrogate in `jsonb`, which any
 * JSON input can carry. The input must change; retrying cannot help.
 */
const UNSTORABLE_TEXT_SQLSTATES = new Set(['22P05', '22021']);

/**
 * Maps a connection failure to `store_unavailable` and unstorable text to `unstorable_text` (invalid input); returns
 * any other error unchanged.
 */
export function toStoreError(error: unknown): unknown {
  if (error instanceof Error && UNSTORABLE_TEXT_SQLSTATES.has(String((error as { code?: unknown }).code))) {
    return new AppError(
      'invalid_input',
      'unstorable_text',
      'a value contains text PostgreSQL cannot store (the NUL character \\u0000, or a lone surrogate \\ud800-\\udfff); remove it',
      { cause: error },
    );
  }
  if (!isTransientPgError(error)) return error;
  const code = (error as { code?: unknown }).code;
  const reason = typeof code === 'string' ? code : (error as Error).message;
  return new AppError(
    'transient',
    'store_unavailable',
    `PostgreSQL is unavailable (${reason}); the operation can be retried once the database answers`,
    { cause: error },
  );
}
