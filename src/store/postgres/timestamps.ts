/**
 * Reading `timestamptz` values. node-postgres parses each with `postgres-date`, a general parser (regular expressions,
 * BC years, local times) that shows in a connection read's profile: a row holds four timestamps, and a worker whose
 * cache misses reads a row per call. The text PostgreSQL writes with `DateStyle` ISO is read here by position, and
 * anything else (infinity, BC, years before 100 or after 9999, offsets with seconds) goes to `postgres-date` as before,
 * so the result is the same Date either way.
 */
import pg from 'pg';

const TIMESTAMPTZ_OID = 1184;

/** The value of the `length` decimal digits at `at`, or NaN when any of them is not a digit. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * `YYYY-MM-DD HH:MM:SS[.f…]±HH[:MM]` as milliseconds since the epoch (the fraction truncated to milliseconds, as
 * `postgres-date` does), or undefined for any other form.
 */
function isoMillis(text: string): number | undefined {
  if (text.length < 22 || text[4] !== '-' || text[7] !== '-' || text[10] !== ' ' || text[13] !== ':') return undefined;
  if (text[16] !== ':') return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  // Date.UTC reads years 0–99 as 1900–1999.
  if (!(year >= 100)) return undefined;
  let at = 19;
  let millis = 0;
  if (text[at] === '.') {
    const start = ++at;
    while (at < text.length && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57) at++;
    const taken = Math.min(at - start, 3);
    if (taken === 0) return undefined;
    millis = digits(text, start, taken) * 10 ** (3 - taken);
  }
  const sign = text[at] === '+' ? 1 : text[at] === '-' ? -1 : 0;
  if (sign === 0) return undefined;
  const offsetHours = digits(text, at + 1, 2);
  let offsetMinutes = 0;
  if (text.length === at + 6 && text[at + 3] === ':') offsetMinutes = digits(text, at + 4, 2);
  else if (text.length !== at + 3) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const result = utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  return Number.isNaN(result) ? undefined : result;
}

const parseGeneral = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date | number | null;

/** A `timestamptz` in PostgreSQL's text form, read as `postgres-date` reads it. */
export function parseTimestamptz(text: string): Date | number | null {
  const millis = isoMillis(text);
  return millis === undefined ? parseGeneral(text) : new Date(millis);
}

/** node-postgres' type parsers, with `timestamptz` read by `parseTimestamptz`. */
export const storeTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ_OID && format !== 'binary'
      ? parseTimestamptz
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};
