import { describe, expect, it } from 'vitest';
import {
  DEFAULT_429_BLOCK_MS,
  hasRateLimitHints,
  readRateLimitHeaders,
} from '../../src/connections/budgets/headers.js';
import { LearnedLedger } from '../../src/connections/budgets/ledger.js';
import { intervalMs, LATE_MS } from '../../src/connections/budgets/pacing.js';
import { MAX_RETRY_AFTER_MS } from '../../src/http/retry-after.js';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const read = (headers: Record<string, string>, status = 200) => readRateLimitHeaders(status, headers, NOW);

describe('rate limit headers', () => {
  it('reads quotas from RateLimit-Policy in the structured draft form', () => {
    expect(read({ 'ratelimit-policy': '"default";q=100;w=60, "burst";q=10;w=1' })).toEqual({
      quotas: [
        { requests: 100, perSeconds: 60 },
        { requests: 10, perSeconds: 1 },
      ],
    });
  });

  it('reads quotas from RateLimit-Policy in the older draft form, skipping members without a window', () => {
    expect(read({ 'ratelimit-policy': '10, 10;w=1, 50;w=60;burst=1000' })).toEqual({
      quotas: [
        { requests: 10, perSeconds: 1 },
        { requests: 50, perSeconds: 60 },
      ],
    });
  });

  it('blocks until the reset when the structured RateLimit says nothing remains', () => {
    expect(read({ ratelimit: '"default";r=0;t=30' })).toEqual({ quotas: [], blockedForMs: 30_000 });
    expect(read({ ratelimit: '"default";r=5;t=30' })).toBeUndefined();
  });

  it('blocks until the reset when the older RateLimit dictionary says nothing remains', () => {
    expect(read({ ratelimit: 'limit=100, remaining=0, reset=7' })).toEqual({ quotas: [], blockedForMs: 7000 });
    expect(read({ ratelimit: 'limit=100, remaining=1, reset=7' })).toBeUndefined();
  });

  it('reads RateLimit-Remaining with RateLimit-Reset in delta seconds', () => {
    const headers = { 'ratelimit-limit': '100', 'ratelimit-remaining': '0', 'ratelimit-reset': '12' };
    expect(read(headers)).toEqual({ quotas: [], blockedForMs: 12_000 });
    expect(read({ ...headers, 'ratelimit-remaining': '3' })).toBeUndefined();
  });

  it('reads X-RateLimit-Reset as delta seconds, epoch seconds or epoch milliseconds', () => {
    const spent = { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0' };
    expect(read({ ...spent, 'x-ratelimit-reset': '42' })).toEqual({ quotas: [], blockedForMs: 42_000 });
    expect(read({ ...spent, 'x-ratelimit-reset': String(NOW / 1000 + 90) })).toEqual({
      quotas: [],
      blockedForMs: 90_000,
    });
    expect(read({ ...spent, 'x-ratelimit-reset': String(NOW + 2500) })).toEqual({ quotas: [], blockedForMs: 2500 });
    // A reset in the past: the budget is already back.
    expect(read({ ...spent, 'x-ratelimit-reset': String(NOW / 1000 - 5) })).toEqual({ quotas: [], blockedForMs: 0 });
  });

  it('honours Retry-After on 429 and 503, in seconds or as an HTTP date, and not on other statuses', () => {
    expect(read({ 'retry-after': '3' }, 429)).toEqual({ quotas: [], blockedForMs: 3000 });
    expect(read({ 'retry-after': 'Tue, 01 Dec 2026 12:00:10 GMT' }, 503)).toEqual({
      quotas: [],
      blockedForMs: 10_000,
    });
    expect(read({ 'retry-after': '3' }, 200)).toBeUndefined();
  });

  it('blocks briefly on a 429 that gives no time, and not on a 503 that gives none', () => {
    expect(read({}, 429)).toEqual({ quotas: [], blockedForMs: DEFAULT_429_BLOCK_MS });
    expect(read({}, 503)).toBeUndefined();
  });

  it('takes the longest of several spent budgets, capped at an hour', () => {
    const headers = { ratelimit: '"a";r=0;t=2, "b";r=0;t=9', 'retry-after': '4' };
    expect(read(headers, 429)?.blockedForMs).toBe(9000);
    expect(read({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '999999' })?.blockedForMs).toBe(
      MAX_RETRY_AFTER_MS,
    );
  });

  it('ignores malformed and hostile values instead of guessing', () => {
    expect(read({ 'ratelimit-policy': 'q=-1;w=1, "x";q=1e9;w=1, "y";q=10;w=0, "z";q=10;w=99999999' })).toBeUndefined();
    expect(read({ ratelimit: '"x";r=zero;t=5' })).toBeUndefined();
    expect(read({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': 'soon' })).toBeUndefined();
    expect(read({ ratelimit: 'remaining=0' })).toBeUndefined();
  });

  it('finds answers without hints with a cheap check', () => {
    expect(hasRateLimitHints(200, { 'content-type': 'application/json' })).toBe(false);
    expect(hasRateLimitHints(200, { 'x-ratelimit-remaining': '10' })).toBe(true);
    expect(hasRateLimitHints(429, {})).toBe(true);
  });
});

describe('learned budgets in one process', () => {
  it('tells the store about a block only when it lasts longer than what is known', () => {
    const ledger = new LearnedLedger();
    expect(ledger.learn('s', { quotas: [], blockedForMs: 5000 }, NOW)).toEqual({
      quotasChanged: false,
      blocksLonger: true,
    });
    expect(ledger.learn('s', { quotas: [], blockedForMs: 1000 }, NOW).blocksLonger).toBe(false);
    expect(ledger.learn('s', { quotas: [{ requests: 5, perSeconds: 1 }] }, NOW)).toEqual({
      quotasChanged: true,
      blocksLonger: false,
    });
    expect(ledger.get('s')).toEqual({ quotas: [{ requests: 5, perSeconds: 1 }], blockedUntil: NOW + 5000 });
  });

  it('forgets the least recently taught scope beyond its bound', () => {
    const ledger = new LearnedLedger(2);
    for (const scope of ['a', 'b', 'c']) ledger.learn(scope, { quotas: [], blockedForMs: 1 }, NOW);
    expect([ledger.get('a'), ledger.get('b') !== undefined, ledger.get('c') !== undefined]).toEqual([
      undefined,
      true,
      true,
    ]);
  });

  it('spaces slots so that requests + 1 sends span a full window even when each is late by the allowed time', () => {
    const limit = { requests: 50, perSeconds: 1 };
    expect(intervalMs(limit) * limit.requests).toBeGreaterThanOrEqual(1000 + LATE_MS);
  });
});
