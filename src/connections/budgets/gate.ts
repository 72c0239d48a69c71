/**
 * The budget gate: asked before every request of a call that has a budget (declared, or learned by this process),
 * it lets the request go, holds it briefly, or says how long the call must wait (`BudgetWait`).
 *
 * - Rate: each scope books the call's send slot in the shared store (one atomic script per scope; see `pacing.ts`
 *   for why even spacing keeps every window within its budget). A call with several scopes sends at the latest of
 *   its slots; a scope whose slot came much earlier books again at that time, so no scope sees a call out of turn.
 * - Waits up to `holdMs` are held in the process: a delayed job comes back behind every job already waiting
 *   (BullMQ promotes delayed jobs to the back of the queue), so a short wait through delayed would miss its slot.
 *   A scope's calls hold at most `holdMs` of slots at once, so a busy scope cannot fill the worker.
 * - Longer waits leave the worker (`BudgetWait`); the call comes back shortly before its slot, holds the rest and
 *   sends without asking again. A call that comes back too late for its slot books a new one.
 * - Concurrency: a place among `limit` leases of the connection, taken before the slot and given back after the
 *   answer (a lease expires by itself if its holder dies).
 */
import { randomUUID } from 'node:crypto';
import type { BudgetStore, DomainObserver, SlotLimit } from '../../domain/ports.js';
import { AppError } from '../../errors.js';
import { hasRateLimitHints, readRateLimitHeaders } from './headers.js';
import { LearnedLedger } from './ledger.js';
import { LATE_MS } from './pacing.js';
import { BudgetWait, type WaitState } from './wait.js';

export interface BudgetScope {
  /** Identity of the budget: calls with the same key share it. */
  key: string;
  /** What the board and error messages show: the scope's name in the definition, never a rendered value. */
  label: string;
  limits: SlotLimit[];
}

export interface BudgetPlan {
  connector: string;
  scopes: BudgetScope[];
  /** At most `limit` calls in flight at once per `key`. */
  concurrency?: { key: string; limit: number };
}

export interface BudgetGateOptions {
  /** Longest total wait of one call (CALL_MAX_WAIT_MS); a call that would wait longer fails with `rate_limited`. */
  maxWaitMs: number;
  /** Waits up to this long are held in the process instead of leaving the worker. @default 500 */
  holdMs?: number;
  /** A call that found every concurrency place taken tries again after about this long. @default 200 */
  concurrencyRetryMs?: number;
}

/** Returned by `admit`: gives back the call's concurrency place, once the answer is in. */
export type Release = () => void;
const NOTHING_TO_RELEASE: Release = () => {};
/**
 * A slot is booked at least this far ahead, so that it has not passed yet when Redis's answer arrives; doubled each
 * time an answer still came too late.
 */
const BOOKING_LEAD_MS = 10;
/** Booking rounds for a call with several scopes before it settles for the latest slot. */
const MAX_BOOKING_ROUNDS = 3;

export class BudgetGate {
  readonly ledger = new LearnedLedger();
  private readonly holdMs: number;
  private readonly concurrencyRetryMs: number;

  constructor(
    private readonly store: BudgetStore,
    private readonly options: BudgetGateOptions,
    private readonly observer: DomainObserver = {},
  ) {
    this.holdMs = options.holdMs ?? 500;
    this.concurrencyRetryMs = options.concurrencyRetryMs ?? 200;
  }

  /**
   * Resolves when the call may send. Throws `BudgetWait` when it must leave the worker, and `rate_limited` when it
   * would wait longer than allowed in total.
   * @param leaseMs how long a concurrency place is held at most (the request's timeout and some slack)
   */
  async admit(plan: BudgetPlan, state: WaitState, leaseMs: number): Promise<Release> {
    let release = NOTHING_TO_RELEASE;
    if (plan.concurrency) {
      const { key, limit } = plan.concurrency;
      const lease = randomUUID();
      if (!(await this.store.enter(key, lease, limit, leaseMs + this.holdMs))) {
        const waitMs = Math.round(this.concurrencyRetryMs * (0.5 + Math.random()));
        if (state.waitedMs + waitMs > this.options.maxWaitMs) throw this.rateLimited('concurrency');
        this.observer.budgetWaited?.(plan.connector, waitMs);
        throw new BudgetWait(Date.now() + waitMs, 'concurrency', { waitedMs: state.waitedMs + waitMs });
      }
      release = () => void this.store.leave(key, lease).catch(() => {});
    }
    try {
      await this.pace(plan, state);
      return release;
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Reads an answer's rate limit hints into the scope's learned budget; tells the store when the budget is spent. */
  learn(scope: string, connector: string, status: number, headers: Record<string, string>): void {
    if (!hasRateLimitHints(status, headers)) return;
    if (status === 429) this.observer.rateLimitAnswered?.(connector);
    const lesson = readRateLimitHeaders(status, headers);
    if (!lesson) return;
    const { blocksLonger } = this.ledger.learn(scope, lesson);
    if (blocksLonger && lesson.blockedForMs !== undefined) {
      // Not awaited: the answer is the caller's; the block is published on the shared connection before any later
      // booking of this process, and other processes learn it at their next booking.
      void this.store.block(scope, Date.now() + lesson.blockedForMs).catch(() => {});
    }
  }

  private async pace(plan: BudgetPlan, state: WaitState): Promise<void> {
    if (plan.scopes.length === 0) return;
    let { waitedMs } = state;
    let leadMs = BOOKING_LEAD_MS;
    // A slot booked before a block this process learned of since is not honoured: book again, after the block.
    let slotAt = this.blocked(plan) ? undefined : state.slotAt;
    for (;;) {
      if (slotAt === undefined) {
        slotAt = await this.book(plan, waitedMs, leadMs);
        const bookedWaitMs = slotAt - Date.now();
        if (bookedWaitMs > 0) {
          waitedMs += bookedWaitMs;
          this.observer.budgetWaited?.(plan.connector, bookedWaitMs);
        }
      }
      const waitMs = slotAt - Date.now();
      if (waitMs < -LATE_MS) {
        // Too late for this slot (the answer, the timer or the job came late): book again, further ahead.
        slotAt = undefined;
        leadMs = Math.min(leadMs * 2, this.holdMs);
        continue;
      }
      if (waitMs <= 0) return;
      // The job comes back a little early and holds the rest: promotion from delayed is not punctual.
      if (waitMs > this.holdMs) throw new BudgetWait(slotAt - this.holdMs / 2, labelOf(plan), { waitedMs, slotAt });
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /** Books the call's slot in every scope: the latest of them, each scope booked no earlier than `LATE_MS` before. */
  private async book(plan: BudgetPlan, waitedMs: number, leadMs: number): Promise<number> {
    const maxWaitMs = this.options.maxWaitMs - waitedMs;
    const now = Date.now();
    const bookedAt = new Map<string, number>();
    let slotAt = now + leadMs;
    for (let round = 0; round < MAX_BOOKING_ROUNDS; round++) {
      const early = plan.scopes.filter(
        (scope) => (bookedAt.get(scope.key) ?? Number.NEGATIVE_INFINITY) < slotAt - LATE_MS,
      );
      if (early.length === 0) break;
      for (const scope of early) {
        const booking = await this.store.reserve(scope.key, scope.limits, { now, notBefore: slotAt, maxWaitMs });
        if (!booking.booked) throw this.rateLimited(scope.label);
        bookedAt.set(scope.key, booking.slotAt);
        slotAt = Math.max(slotAt, booking.slotAt);
      }
    }
    return slotAt;
  }

  private rateLimited(label: string): AppError {
    return new AppError(
      'permanent',
      'rate_limited',
      `the rate budget (${label}) has no room for this call within CALL_MAX_WAIT_MS (${this.options.maxWaitMs} ms); ` +
        'send fewer calls at once or raise CALL_MAX_WAIT_MS',
    );
  }

  /** This process knows that one of the call's scopes is spent right now. */
  private blocked(plan: BudgetPlan): boolean {
    const now = Date.now();
    return plan.scopes.some((scope) => (this.ledger.get(scope.key)?.blockedUntil ?? 0) > now);
  }
}

function labelOf(plan: BudgetPlan): string {
  return plan.scopes.map((scope) => scope.label).join(', ');
}
