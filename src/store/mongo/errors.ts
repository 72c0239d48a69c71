/**
 * Which MongoDB failures are worth a retry: no reachable server, a dropped socket, or an error the driver labels
 * retryable. They become a transient `store_unavailable`; every other error is left as it is.
 */
import { AppError } from '../../errors.js';

const TRANSIENT_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
]);

const RETRYABLE_LABELS = ['RetryableWriteError', 'TransientTransactionError', 'ResetPool'];

/** Mongoose's own words for "not connected" (no initial connection, or a buffered command that timed out). */
const NOT_CONNECTED_MESSAGES = /before initial connection is complete|buffering timed out/;

export function isTransientMongoError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (TRANSIENT_NAMES.has(error.name)) return true;
  if (error.name === 'MongooseError' && NOT_CONNECTED_MESSAGES.test(error.message)) return true;
  const labelled = error as { hasErrorLabel?: (label: string) => boolean };
  return (
    typeof labelled.hasErrorLabel === 'function' && RETRYABLE_LABELS.some((label) => labelled.hasErrorLabel?.(label))
  );
}

export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 11000;
}

export function storeUnavailable(cause: unknown): AppError {
  const reason = cause instanceof Error ? cause.name : 'unknown error';
  return new AppError(
    'transient',
    'store_unavailable',
    `MongoDB is unavailable (${reason}); the operation can be retried once the database answers`,
    { cause },
  );
}

/** Maps a connection failure to `store_unavailable`; returns any other error unchanged. */
export function toStoreError(error: unknown): unknown {
  return isTransientMongoError(error) ? storeUnavailable(error) : error;
}
