/**
 * `Retry-After` (RFC 9110 §10.2.3): how long the remote side asks us to wait. What to do with it is the jobs'
 * retry policy (`jobs/backoff.ts`).
 */

/**
 * Longest wait honoured from a `Retry-After` header: 1 hour. A misbehaving server (or a date in the wrong year)
 * must not park a job for days; after the cap the job simply retries and gets a fresh answer.
 */
export const MAX_RETRY_AFTER_MS = 3_600_000;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = '(?<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(?<h>\\d{2}):(?<m>\\d{2}):(?<s>\\d{2})';
// The three HTTP-date forms a recipient must accept. Date.parse is not used: V8 reads almost any text as a date.
const HTTP_DATES = [
  new RegExp(`^[a-z]{3}, (?<day>\\d{2}) ${MONTH} (?<year>\\d{4}) ${TIME} GMT$`, 'i'), // IMF-fixdate
  new RegExp(`^[a-z]{6,9}, (?<day>\\d{2})-${MONTH}-(?<year>\\d{2}) ${TIME} GMT$`, 'i'), // RFC 850
  new RegExp(`^[a-z]{3} ${MONTH} (?<day>[ \\d]\\d) ${TIME} (?<year>\\d{4})$`, 'i'), // asctime
];

type DateParts = Record<'day' | 'month' | 'year' | 'h' | 'm' | 's', string>;

/** A two-digit year more than 50 years ahead means the most recent past year with those digits (RFC 9110 §5.6.7). */
function fullYear(year: string, now: Date): number {
  if (year.length === 4) return Number(year);
  const candidate = Math.floor(now.getUTCFullYear() / 100) * 100 + Number(year);
  return candidate > now.getUTCFullYear() + 50 ? candidate - 100 : candidate;
}

function parseHttpDate(value: string, now: Date): number | undefined {
  const parts = HTTP_DATES.map((form) => form.exec(value)?.groups).find((groups) => groups !== undefined);
  if (parts === undefined) return undefined;
  const { day, month, year, h, m, s } = parts as DateParts;
  const fields = [Number(day), Number(h), Number(m), Number(s)] as const;
  const date = new Date(Date.UTC(fullYear(year, now), MONTHS.indexOf(month.toLowerCase()), ...fields));
  // Date.UTC rolls over (Feb 31 → Mar 3, 25:00 → next day): a rolled-over date was not a valid date.
  const read = [date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  return read.every((value, i) => value === fields[i]) ? date.getTime() : undefined;
}

/**
 * Milliseconds to wait according to a `Retry-After` value: delta-seconds or an HTTP-date (a past date gives 0).
 * Anything else gives undefined. Capped at {@link MAX_RETRY_AFTER_MS}.
 */
export function parseRetryAfter(value: string | undefined, now: Date = new Date()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS);
  const epoch = parseHttpDate(trimmed, now);
  if (epoch === undefined) return undefined;
  return Math.min(Math.max(epoch - now.getTime(), 0), MAX_RETRY_AFTER_MS);
}
