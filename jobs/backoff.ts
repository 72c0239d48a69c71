/** The retry policy's delay when the remote side gave none. */

/**
 * Exponential backoff with full jitter: a random delay in `[0, min(maxMs, baseMs * 2^(attempt - 1))]`, so retries
 * of many jobs that failed together spread out instead of hitting the provider in waves.
 *
 * @param attempt 1 for the first retry (BullMQ's `attemptsMade`); values below 1 count as 1.
 * @param maxMs upper bound of any delay. @default 600_000 (10 minutes)
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs = 600_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (Math.max(attempt, 1) - 1));
  return Math.floor(Math.random() * (ceiling + 1));
}
