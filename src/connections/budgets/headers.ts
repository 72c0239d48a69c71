/**
 * What an API's answer says about its rate budget, in every dialect in use:
 * - `RateLimit-Policy` + `RateLimit` of the IETF httpapi draft, both its structured form (`"default";q=100;w=60`,
 *   `"default";r=0;t=30`) and its older forms (`100;w=60`, `limit=100, remaining=0, reset=30`);
 * - `RateLimit-Limit` / `-Remaining` / `-Reset` (delta seconds);
 * - `X-RateLimit-Limit` / `-Remaining` / `-Reset` (delta seconds, or an epoch time in seconds or milliseconds);
 * - `Retry-After` on 429 and 503.
 * The answer's text is untrusted: every number is bounded, and a malformed value is ignored, never guessed at.
 */
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../http/retry-after.js';
import type { PaceLimit } from './pacing.js';

export interface Lesson {
  /** Quotas with their windows (`RateLimit-Policy`): later calls are paced to them. */
  quotas: PaceLimit[];
  /** The budget is spent: nobody calls for this long, in ms. */
  blockedForMs?: number;
}

/** A 429 that gives no time still means "stop": this long. */
export const DEFAULT_429_BLOCK_MS = 1000;
/** Policies read from one answer. */
const MAX_QUOTAS = 4;
const EPOCH_SECONDS = 1e9;
const EPOCH_MILLISECONDS = 1e12;

/** A cheap test, made on every answer, so that answers without any hint cost nothing more. */
export function hasRateLimitHints(status: number, headers: Record<string, string>): boolean {
  return (
    status === 429 ||
    status === 503 ||
    headers.ratelimit !== undefined ||
    headers['ratelimit-policy'] !== undefined ||
    headers['ratelimit-remaining'] !== undefined ||
    headers['x-ratelimit-remaining'] !== undefined
  );
}

/** The lesson of one answer; undefined when it teaches nothing. */
export function readRateLimitHeaders(
  status: number,
  headers: Record<string, string>,
  now: number = Date.now(),
): Lesson | undefined {
  const quotas = readPolicies(headers['ratelimit-policy']);
  const spent = [
    readRateLimit(headers.ratelimit),
    readRemaining(headers['ratelimit-remaining'], headers['ratelimit-reset'], now, false),
    readRemaining(headers['x-ratelimit-remaining'], headers['x-ratelimit-reset'], now, true),
  ].filter((ms): ms is number => ms !== undefined);
  if (status === 429 || status === 503) {
    const retryAfter = parseRetryAfter(headers['retry-after'], new Date(now));
    if (retryAfter !== undefined) spent.push(retryAfter);
    else if (status === 429 && spent.length === 0) spent.push(DEFAULT_429_BLOCK_MS);
  }
  const blockedForMs = spent.length > 0 ? Math.min(Math.max(...spent), MAX_RETRY_AFTER_MS) : undefined;
  if (quotas.length === 0 && blockedForMs === undefined) return undefined;
  return blockedForMs === undefined ? { quotas } : { quotas, blockedForMs };
}

/** A non-negative number written as digits (with an optional fraction); anything else is undefined. */
function number(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  return /^\d{1,15}(\.\d{1,6})?$/.test(trimmed) ? Number(trimmed) : undefined;
}

/** `key=value` parameters of one list member (`"name";q=100;w=60` or `100;w=60`), and its leading item. */
function member(text: string): { item: string; params: Map<string, string> } {
  const [item = '', ...rest] = text.split(';');
  const params = new Map<string, string>();
  for (const part of rest) {
    const at = part.indexOf('=');
    if (at > 0) params.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return { item: item.trim(), params };
}

/** `RateLimit-Policy`: each member with a window is a quota (`q=` in the structured form, the item in older ones). */
function readPolicies(value: string | undefined): PaceLimit[] {
  if (value === undefined) return [];
  const quotas: PaceLimit[] = [];
  for (const text of value.split(',').slice(0, MAX_QUOTAS * 2)) {
    const { item, params } = member(text);
    const requests = number(params.get('q') ?? item);
    const perSeconds = number(params.get('w'));
    if (requests === undefined || perSeconds === undefined || requests < 1 || perSeconds <= 0) continue;
    if (perSeconds > 86_400) continue;
    quotas.push({ requests: Math.floor(requests), perSeconds });
    if (quotas.length === MAX_QUOTAS) break;
  }
  return quotas;
}

/**
 * `RateLimit`: the structured form (`"default";r=0;t=30`, one member per policy) or the older dictionary
 * (`limit=100, remaining=0, reset=30`). The longest wait of a spent policy, in ms.
 */
function readRateLimit(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/(^|[\s,;])remaining\s*=/i.test(value)) {
    const fields = new Map(
      value.split(/[,;]/).map((part) => {
        const at = part.indexOf('=');
        return [part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim()] as const;
      }),
    );
    return spentFor(number(fields.get('remaining')), number(fields.get('reset')));
  }
  const waits = value
    .split(',')
    .map((text) => member(text).params)
    .map((params) => spentFor(number(params.get('r')), number(params.get('t'))))
    .filter((ms): ms is number => ms !== undefined);
  return waits.length > 0 ? Math.max(...waits) : undefined;
}

/** Nothing remains: wait until the reset (delta seconds). */
function spentFor(remaining: number | undefined, resetSeconds: number | undefined): number | undefined {
  if (remaining !== 0 || resetSeconds === undefined) return undefined;
  return Math.ceil(resetSeconds * 1000);
}

/** `*-Remaining` with `*-Reset`; an `X-` reset may be an epoch time (seconds or milliseconds) instead of a delta. */
function readRemaining(
  remaining: string | undefined,
  reset: string | undefined,
  now: number,
  epochAllowed: boolean,
): number | undefined {
  const seconds = number(reset);
  if (number(remaining) !== 0 || seconds === undefined) return undefined;
  if (epochAllowed && seconds >= EPOCH_MILLISECONDS) return Math.max(0, Math.ceil(seconds - now));
  if (epochAllowed && seconds >= EPOCH_SECONDS) return Math.max(0, Math.ceil(seconds * 1000 - now));
  return Math.ceil(seconds * 1000);
}
