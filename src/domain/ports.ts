/**
 * What the use cases need from mechanisms outside the domain, as small interfaces the domain owns. Their
 * implementations live elsewhere: Redis-backed ones (lock, versions, budgets) in `src/redis/`, the queue-backed
 * renewal scheduler in `src/queue/renewals.ts`, metrics in `src/ops/`.
 */
import type { Connection } from './model.js';

/**
 * At most one holder per name at a time, across every process: a connection's token renewal runs once however
 * many calls find it due. Holding is a lease: a holder that dies frees the name when its lease ends.
 */
export interface SingleFlightLock {
  /** The holder's token, or null when someone else holds `name`. */
  tryAcquire(name: string): Promise<string | null>;
  /** Releases `name` if `token` still holds it; false when the lease had ended and someone else may hold it. */
  release(name: string, token: string): Promise<boolean>;
  /** Resolves once nobody holds `name`, or after one lease (the holder died). */
  waitForRelease(name: string): Promise<void>;
}

/** What the version registry holds for one connection and some connectors. */
export interface PublishedVersions {
  connection: number | null;
  /** For each connector key asked; null where none is known. */
  connectors: ReadonlyMap<string, number | null>;
}

/**
 * The newest version of each connection and connector written by any process. Caches compare it with the version
 * they hold before using an entry; a version never moves back.
 */
export interface VersionRegistry {
  /** The published versions of a connection and of the given connectors (null where none is known), in one read. */
  read(connectionId: string, connectorKeys: readonly string[]): Promise<PublishedVersions>;
  /** The published version of a connector; null when none is known. */
  readConnector(connectorKey: string): Promise<number | null>;
  /** Publishes `version` unless a newer one is already published. */
  publishConnection(connectionId: string, version: number): Promise<void>;
  /** Publishes `version` unless a newer one is already published. */
  publishConnector(connectorKey: string, version: number): Promise<void>;
}

/** Schedules a connection's next renewal (a delayed `refresh` job). Implemented in `queue/renewals.ts`. */
export interface RenewalScheduler {
  schedule(connection: Connection): Promise<void>;
}

/** One limit of a rate budget as send slots: each booking moves the limit's next free slot on by `intervalMs`. */
export interface SlotLimit {
  /** Stable name of the limit within its scope. */
  id: string;
  intervalMs: number;
}

export interface BookingRequest {
  /** The caller's clock (epoch ms) when it asks. */
  now: number;
  /** The slot may not come before this time (epoch ms). */
  notBefore: number;
  /** Nothing is booked when the slot would come later than `now + maxWaitMs`. */
  maxWaitMs: number;
}

export interface Booking {
  /** False when the earliest free slot is further away than the caller may wait: nothing was booked. */
  booked: boolean;
  /** The slot (epoch ms), booked or not. */
  slotAt: number;
}

/**
 * Rate budgets shared by every process: one atomic decision per scope. Times are the workers' clocks (kept in sync,
 * as BullMQ's delays assume): a caller knows exactly how late it is for its slot, however long the store took.
 */
export interface BudgetStore {
  /** Books the earliest send slot of a scope that all its limits allow, after any block of the scope. */
  reserve(scope: string, limits: readonly SlotLimit[], request: BookingRequest): Promise<Booking>;
  /** Nobody may book a slot of this scope before `until` (epoch ms). A shorter block never shortens a longer one. */
  block(scope: string, until: number): Promise<void>;
  /** Takes one of `limit` places of a scope for `ttlMs` (or until `leave`); false when all are taken. */
  enter(scope: string, lease: string, limit: number, ttlMs: number): Promise<boolean>;
  leave(scope: string, lease: string): Promise<void>;
}

/** Observers of what the domain does; metrics and events plug in here. Every method is optional. */
export interface DomainObserver {
  tokenRequested?(connector: string, outcome: 'ok' | 'permanent' | 'transient'): void;
  renewed?(connection: Connection, outcome: 'ok' | 'failed'): void;
  lockWaited?(): void;
  /** A call waited `ms` for a rate budget or a concurrency place (held in the process or delayed). */
  budgetWaited?(connector: string, ms: number): void;
  /** An API answered a call with 429. */
  rateLimitAnswered?(connector: string): void;
  /**
   * The egress policy refused a connection attempt; `reason` is the class of the address (`loopback`, `private`,
   * …) or `plain_http`.
   */
  egressDenied?(reason: string): void;
}
