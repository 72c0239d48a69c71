/**
 * A rate-limited API for the budget tests and `npm run bench:ratelimit`: a REAL HTTP server on 127.0.0.1 (random
 * port) with one token bucket per bearer token, that is per connection. Beyond the bucket it answers 429 with
 * `Retry-After`; with `rateLimitHeaders` every answer also carries `RateLimit-Policy` and `RateLimit` (IETF draft,
 * structured form). It records when each request arrived, so tests can count requests in any window.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LimitedApiOptions {
  /** Tokens added per second to each bucket. */
  perSecond: number;
  /** Bucket size: requests allowed at once. */
  burst: number;
  /** Send `RateLimit-Policy` and `RateLimit` headers. @default false */
  rateLimitHeaders?: boolean;
}

export interface LimitedApiStats {
  ok: number;
  rejected: number;
  /** Arrival times (ms, monotonic clock) of every request, by bearer token. */
  arrivals: Map<string, number[]>;
  /** Most requests of one bearer token in flight at once (`?delay=<ms>` makes an answer wait). */
  maxInFlight: number;
}

export interface LimitedApi {
  url: string;
  stats: LimitedApiStats;
  /** Clears counters and buckets; `options` changes the limits and headers from now on. */
  reset(options?: Partial<LimitedApiOptions>): void;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  at: number;
}

export async function startLimitedApi(initial: LimitedApiOptions): Promise<LimitedApi> {
  let options = { rateLimitHeaders: false, ...initial };
  let buckets = new Map<string, Bucket>();
  const stats: LimitedApiStats = { ok: 0, rejected: 0, arrivals: new Map(), maxInFlight: 0 };
  const inFlight = new Map<string, number>();

  const take = (key: string, now: number): Bucket & { allowed: boolean } => {
    const bucket = buckets.get(key) ?? { tokens: options.burst, at: now };
    bucket.tokens = Math.min(options.burst, bucket.tokens + ((now - bucket.at) / 1000) * options.perSecond);
    bucket.at = now;
    buckets.set(key, bucket);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    return { ...bucket, allowed };
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const now = performance.now();
    const key = req.headers.authorization ?? 'anonymous';
    const arrivals = stats.arrivals.get(key) ?? [];
    arrivals.push(now);
    stats.arrivals.set(key, arrivals);
    const bucket = take(key, now);
    const secondsToToken = Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.rateLimitHeaders) {
      headers['ratelimit-policy'] = `"bucket";q=${options.perSecond};w=1`;
      headers.ratelimit = `"bucket";r=${Math.floor(bucket.tokens)};t=${bucket.tokens >= 1 ? 0 : secondsToToken}`;
    }
    if (!bucket.allowed) {
      stats.rejected++;
      res.writeHead(429, { ...headers, 'retry-after': String(secondsToToken) }).end('{"error":"rate_limited"}');
      return;
    }
    stats.ok++;
    const delayMs = Number(new URL(req.url ?? '/', 'http://api').searchParams.get('delay') ?? 0);
    const current = (inFlight.get(key) ?? 0) + 1;
    inFlight.set(key, current);
    stats.maxInFlight = Math.max(stats.maxInFlight, current);
    setTimeout(() => {
      inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
      res.writeHead(200, headers).end('{"ok":true}');
    }, delayMs);
  };

  const server = createServer(handle);
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    reset(changes = {}) {
      options = { ...options, ...changes };
      buckets = new Map();
      stats.ok = 0;
      stats.rejected = 0;
      stats.arrivals.clear();
      stats.maxInFlight = 0;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The most requests that arrived within any window of `windowMs` (half-open), over every key. */
export function busiestWindow(stats: LimitedApiStats, windowMs: number): number {
  let most = 0;
  for (const times of stats.arrivals.values()) {
    const sorted = [...times].sort((a, b) => a - b);
    let from = 0;
    for (let to = 0; to < sorted.length; to++) {
      while ((sorted[to] as number) - (sorted[from] as number) >= windowMs) from++;
      most = Math.max(most, to - from + 1);
    }
  }
  return most;
}
