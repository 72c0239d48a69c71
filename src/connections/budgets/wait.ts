/**
 * A call that must wait for its budget. Not a failure: the job layer moves the job to delayed until `untilMs`
 * without counting an attempt, and hands `slotAt` and `waitedMs` back to the call when it runs again.
 */
export interface WaitState {
  /** Time this call has waited for budgets so far, ms (bounded by CALL_MAX_WAIT_MS). */
  waitedMs: number;
  /** A slot booked for this call (epoch ms): it sends then without asking again. */
  slotAt?: number;
}

/** Why a call waits, as the board shows it: the scope's name in the definition, never a rendered value. */
export type WaitReason = string;

export class BudgetWait extends Error {
  override readonly name = 'BudgetWait';

  constructor(
    /** Epoch ms to run again at. */
    readonly untilMs: number,
    readonly reason: WaitReason,
    readonly state: WaitState,
  ) {
    super(`waiting for the rate budget (${reason})`);
  }
}
