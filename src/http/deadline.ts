/**
 * Hard deadlines for outbound requests. undici bounds each phase only (connecting, waiting for the headers, each
 * pause in the body), so an upstream that drips one byte every few seconds would hold a request, and its job,
 * forever. Each request registers a `Deadline`; one sweep per transport, every SWEEP_MS, fires the ones past their
 * budget, in whatever phase their request is. A timer or an AbortSignal per request would cost more on the call
 * path (docs/PERFORMANCE.md).
 */

/** How late past its budget a request may end at most. */
export const SWEEP_MS = 100;

/** The deadline of one request: the sweep or the caller's own signal fires it, and it stops what was bound to it. */
export class Deadline {
  aborted = false;
  /** True when the budget ran out (rather than the caller aborting). */
  expired = false;
  /** Stops listening to the caller's signal. */
  detach: (() => void) | undefined;
  private stop: (() => void) | undefined;

  constructor(readonly at: number) {}

  /** Runs `stop` when the deadline fires, or at once when it already has. */
  bind(stop: () => void): void {
    if (this.aborted) stop();
    else this.stop = stop;
  }

  abort(expired: boolean): void {
    if (this.aborted) return;
    this.aborted = true;
    this.expired = expired;
    this.stop?.();
  }
}

/** The deadlines of one transport's requests in flight. */
export class Deadlines {
  private readonly pending = new Set<Deadline>();
  private sweeper: NodeJS.Timeout | undefined;

  /** A deadline `budgetMs` from now; tied to `signal` when the caller has one. Call `end` when the request ends. */
  start(budgetMs: number, signal?: AbortSignal): Deadline {
    const deadline = new Deadline(Date.now() + budgetMs);
    if (signal?.aborted) deadline.abort(false);
    else if (signal) {
      const onAbort = () => deadline.abort(false);
      signal.addEventListener('abort', onAbort, { once: true });
      deadline.detach = () => signal.removeEventListener('abort', onAbort);
    }
    this.pending.add(deadline);
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    return deadline;
  }

  end(deadline: Deadline): void {
    this.pending.delete(deadline);
    deadline.detach?.();
  }

  private sweep(): void {
    const now = Date.now();
    for (const deadline of this.pending) {
      if (deadline.at > now) continue;
      this.pending.delete(deadline);
      deadline.abort(true);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
