/**
 * A call waiting for its rate budget, in BullMQ terms: the job moves to delayed until its slot (releasing the worker
 * slot) and its progress says why, for Bull Board and for the job's next run. A wait is not an attempt: BullMQ counts
 * every start in `attemptsStarted`, so the waits recorded here are subtracted from it.
 *
 * The progress holds no secret and no rendered scope value: the scope's name in the definition, times and counts.
 */
import type { Job } from 'bullmq';
import type { BudgetWait, WaitState } from '../src/connections/budgets/wait.js';

export interface BudgetProgress {
  budget: {
    /** Why the call waits: the budget scope(s), or `concurrency`. */
    waitingFor: string;
    /** When the call runs again (ISO 8601). */
    until: string;
    /** Times the call left the worker to wait. */
    waits: number;
    /** Total time waited for budgets, ms. */
    waitedMs: number;
    /** The slot booked for the call (epoch ms). */
    slotAt?: number;
  };
}

function progressOf(job: Job): BudgetProgress['budget'] | undefined {
  const progress = job.progress as Partial<BudgetProgress> | undefined;
  return typeof progress === 'object' && progress !== null && typeof progress.budget === 'object'
    ? progress.budget
    : undefined;
}

/** Attempts that ended in something else than a budget wait: what JOB_ATTEMPTS bounds. */
export function attemptsUsed(job: Job): number {
  return job.attemptsStarted - (progressOf(job)?.waits ?? 0);
}

/** What the call waited before this run, and the slot it booked. */
export function waitState(job: Job): WaitState | undefined {
  const progress = progressOf(job);
  if (!progress) return undefined;
  return progress.slotAt === undefined
    ? { waitedMs: progress.waitedMs }
    : { waitedMs: progress.waitedMs, slotAt: progress.slotAt };
}

/** Records the wait on the job and moves it to delayed until its turn. */
export async function delayForBudget(job: Job, token: string, wait: BudgetWait): Promise<void> {
  const progress: BudgetProgress = {
    budget: {
      waitingFor: wait.reason,
      until: new Date(wait.untilMs).toISOString(),
      waits: (progressOf(job)?.waits ?? 0) + 1,
      waitedMs: Math.round(wait.state.waitedMs),
      ...(wait.state.slotAt !== undefined && { slotAt: wait.state.slotAt }),
    },
  };
  await job.updateProgress(progress as unknown as object);
  await job.moveToDelayed(wait.untilMs, token);
}
