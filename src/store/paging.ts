/**
 * Paging rules shared by the store adapters, so both page the same way: limits are clamped, and the renewal cursor
 * carries the whole (renewAt, id) keyset so a page boundary never depends on re-reading the previous row.
 */
import { AppError } from '../errors.js';

/** Page size used when the caller gives none. */
export const DEFAULT_PAGE_LIMIT = 100;
/** Largest page a caller may ask for; larger requests are clamped, not refused. */
export const MAX_PAGE_LIMIT = 1000;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new AppError('invalid_input', 'invalid_page', `page.limit: must be a positive integer, got ${limit}`);
  }
  return Math.min(limit, MAX_PAGE_LIMIT);
}

export interface DueCursor {
  renewAt: Date;
  id: string;
}

// An ISO date holds no '_', and neither does a uuid nor an ObjectId, so '_' separates the two parts unambiguously.
export function encodeDueCursor(cursor: DueCursor): string {
  return `${cursor.renewAt.toISOString()}_${cursor.id}`;
}

/** Reads a cursor made by `encodeDueCursor`; `isId` tells whether the id part is one of the adapter's ids. */
export function decodeDueCursor(value: string, isId: (id: string) => boolean): DueCursor {
  const [at = '', id = '', ...rest] = value.split('_');
  const renewAt = new Date(at);
  if (rest.length > 0 || Number.isNaN(renewAt.getTime()) || !isId(id)) throw invalidCursor('findDue');
  return { renewAt, id };
}

export function invalidCursor(method: string): AppError {
  return new AppError(
    'invalid_input',
    'invalid_cursor',
    `page.after: not a cursor of ${method}; pass back the \`next\` value of the previous page`,
  );
}
