/**
 * What a process prints when it cannot start for a reason its operator can fix: one line on stderr that names the
 * setting and the fix, instead of a log record or a stack.
 */
import { AppError } from '../src/errors.js';
import { describeStore } from '../src/store/index.js';

/** The line for `error`, or null when it is not a setup problem (a bug: logged as it is). */
export function startProblem(error: unknown, databaseUrl: string): string | null {
  if (!(error instanceof AppError)) return null;
  if (error.code === 'invalid_config') return `Invalid configuration: ${error.message}`;
  if (error.code !== 'store_unavailable') return null;
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const reason = typeof cause?.code === 'string' ? cause.code : String(cause?.message ?? error.message);
  return `DATABASE_URL: ${describeStore(databaseUrl)} does not answer (${reason}); start it, set DATABASE_URL to a running database, or unset DATABASE_URL (outside production) to use the embedded store`;
}

/** The store line of the start banner: which store, and whether other processes can share it. */
export function storeBanner(databaseUrl: string): string {
  const store = describeStore(databaseUrl);
  return databaseUrl.startsWith('pglite:')
    ? `Store: ${store}, for this process only (to run several workers, set DATABASE_URL to a PostgreSQL server)`
    : `Store: ${store}`;
}
