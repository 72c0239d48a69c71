/**
 * Rate budgets on Redis: the shared store behind `src/connections/budgets/gate.ts`. One hash per scope holds each limit's next
 * free slot and the time the budget is spent until; one sorted set per scope holds the concurrency leases. Every
 * decision is one script on one key (plus its lease set), so it is atomic across processes. Slots are in the
 * workers' clocks (see `BudgetStore`); lease expiry uses the Redis server's clock (`TIME`).
 *
 * Keys live under the queue prefix and carry a hash tag of the scope (`<prefix>:oauth-cc:budget:{<hash>}`): a scope's
 * keys share one cluster slot, and different scopes spread over the cluster. The hash also keeps rendered scope
 * values (account URLs, ids) out of key names.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Booking, BookingRequest, BudgetStore, SlotLimit } from '../domain/ports.js';

/** Keys outlive the last booked slot by this long, then vanish by themselves. */
const KEEP_MS = 60_000;

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS[1] scope hash. ARGV[1] now, ARGV[2] not before, ARGV[3] latest slot (epoch ms), then pairs: limit field,
 * interval ms. Returns { booked (1 or 0), slot }.
 */
const RESERVE_SCRIPT = `local now = tonumber(ARGV[1])
local slot = math.max(now, tonumber(ARGV[2]))
local block = tonumber(redis.call('HGET', KEYS[1], 'block') or '0')
if block > slot then slot = block end
for i = 4, #ARGV, 2 do
  local next = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if next > slot then slot = next end
end
if slot > tonumber(ARGV[3]) then return { 0, math.ceil(slot) } end
local last = math.max(slot, block)
for i = 4, #ARGV, 2 do
  local next = slot + tonumber(ARGV[i + 1])
  redis.call('HSET', KEYS[1], ARGV[i], next)
  if next > last then last = next end
end
redis.call('PEXPIRE', KEYS[1], math.ceil(last - now) + ${KEEP_MS})
return { 1, math.ceil(slot) }`;

/** KEYS[1] scope hash. ARGV[1] now, ARGV[2] blocked until (epoch ms). */
const BLOCK_SCRIPT = `local forMs = tonumber(ARGV[2]) - tonumber(ARGV[1])
if tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[1], 'block') or '0') then
  redis.call('HSET', KEYS[1], 'block', ARGV[2])
  if redis.call('PTTL', KEYS[1]) < forMs + ${KEEP_MS} then redis.call('PEXPIRE', KEYS[1], math.ceil(forMs) + ${KEEP_MS}) end
end
return 1`;

/** KEYS[1] lease set. ARGV[1] lease id, ARGV[2] limit, ARGV[3] ttl ms. Expired leases (dead holders) are dropped. */
const ENTER_SCRIPT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) + ${KEEP_MS})
return 1`;

interface BudgetCommands {
  budgetReserve(key: string, ...args: Array<string | number>): Promise<[number, number]>;
  budgetBlock(key: string, now: number, until: number): Promise<number>;
  budgetEnter(key: string, lease: string, limit: number, ttlMs: number): Promise<number>;
}

export interface RedisBudgetStoreOptions {
  /** Key namespace: the queue prefix. */
  prefix: string;
}

export class RedisBudgetStore implements BudgetStore {
  private readonly commands: BudgetCommands;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly options: RedisBudgetStoreOptions,
  ) {
    redis.defineCommand('budgetReserve', { numberOfKeys: 1, lua: RESERVE_SCRIPT });
    redis.defineCommand('budgetBlock', { numberOfKeys: 1, lua: BLOCK_SCRIPT });
    redis.defineCommand('budgetEnter', { numberOfKeys: 1, lua: ENTER_SCRIPT });
    this.commands = redis as unknown as BudgetCommands;
  }

  /** The scope's hash key; its lease set is the same key with `:leases`. */
  key(scope: string): string {
    const hash = createHash('sha256').update(scope).digest('base64url').slice(0, 22);
    return `${this.options.prefix}:oauth-cc:budget:{${hash}}`;
  }

  async reserve(scope: string, limits: readonly SlotLimit[], request: BookingRequest): Promise<Booking> {
    const { now, notBefore, maxWaitMs } = request;
    const args: Array<string | number> = [now, Math.ceil(notBefore), now + Math.max(0, Math.floor(maxWaitMs))];
    for (const limit of limits) args.push(`next:${limit.id}`, limit.intervalMs);
    const [booked, slotAt] = await this.commands.budgetReserve(this.key(scope), ...args);
    return { booked: booked === 1, slotAt };
  }

  async block(scope: string, until: number): Promise<void> {
    await this.commands.budgetBlock(this.key(scope), Date.now(), Math.ceil(until));
  }

  async enter(scope: string, lease: string, limit: number, ttlMs: number): Promise<boolean> {
    return (await this.commands.budgetEnter(`${this.key(scope)}:leases`, lease, limit, Math.ceil(ttlMs))) === 1;
  }

  async leave(scope: string, lease: string): Promise<void> {
    await this.redis.zrem(`${this.key(scope)}:leases`, lease);
  }
}
