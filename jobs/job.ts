/**
 * What every job handler shares: a typed definition (payload schema + handler), and the translation of domain
 * errors into BullMQ terms. Handlers stay thin: parse → call the domain → shape the result.
 *
 * Retries are driven here, not by the producer's job options, so that jobs from any producer (any language, any
 * options) retry the same way: a transient error moves the job back to delayed (after `Retry-After` when the remote
 * side gave one, else exponential backoff with jitter) until `maxAttempts` attempts have started; every other error
 * fails the job at once with `UnrecoverableError`. A call waiting for its rate budget moves to delayed too, without
 * using up an attempt (`budget-wait.ts`).
 */
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { z } from 'zod';
import { BudgetWait } from '../src/connections/budgets/wait.js';
import type { Services } from '../src/connections/services.js';
import { AppError, isAppError } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import type { JobName } from '../src/queue/names.js';
import type { JobContract } from '../src/queue/schemas.js';
import { recordJobFailure } from '../src/telemetry/tracing.js';
import { backoffDelay } from './backoff.js';
import { attemptsUsed, delayForBudget } from './budget-wait.js';

export interface JobContext {
  services: Services;
  job: Job;
  log: Logger;
  /** True when no retry will follow this attempt. */
  finalAttempt: boolean;
}

export interface JobDefinition<N extends JobName> {
  name: N;
  schema: z.ZodType<JobContract[N]['data']>;
  /** Runs before the payload is parsed, for example to seal plaintext secrets in the stored job data. */
  onPickup?: (job: Job, services: Services) => Promise<void>;
  handle: (data: JobContract[N]['data'], context: JobContext) => Promise<JobContract[N]['result']>;
}

/** When and how soon a transient failure is retried. A job is retried while every given bound allows it. */
export interface RetryPolicy {
  /** First backoff delay; doubles each attempt, with full jitter. */
  backoffMs: number;
  /** Attempts before a transient failure fails the job. @default unbounded */
  maxAttempts?: number;
  /** How long after the job was created it may still be retried. @default unbounded */
  retryForMs?: number;
  /** Longest delay before the next attempt, `Retry-After` included. @default 600000 (`backoffDelay`'s bound) */
  maxDelayMs?: number;
}

function retryDelay(error: AppError, job: Job, policy: RetryPolicy): number | undefined {
  const attempt = attemptsUsed(job);
  const delay = error.retryAfterMs ?? backoffDelay(attempt, policy.backoffMs);
  const bounded = Math.min(delay, policy.maxDelayMs ?? Number.POSITIVE_INFINITY);
  if (policy.maxAttempts !== undefined && attempt >= policy.maxAttempts) return undefined;
  if (policy.retryForMs !== undefined && Date.now() + bounded > job.timestamp + policy.retryForMs) return undefined;
  return bounded;
}

/** Domain errors as BullMQ understands them. Never returns: throws DelayedError or UnrecoverableError. */
export async function failOrRetry(
  error: unknown,
  job: Job,
  token: string | undefined,
  policy: RetryPolicy,
  log: Logger,
): Promise<never> {
  if (error instanceof BudgetWait && token) {
    await delayForBudget(job, token, error);
    throw new DelayedError();
  }
  const appError = toAppError(error);
  recordJobFailure(appError);
  const message = `[${appError.code}] ${appError.message}`;
  const attempt = attemptsUsed(job);
  const delay = appError.kind === 'transient' && token ? retryDelay(appError, job, policy) : undefined;
  if (delay !== undefined && token) {
    log.warn({ code: appError.code, attempt, delayMs: delay }, `retrying: ${appError.message}`);
    await job.moveToDelayed(Date.now() + delay, token);
    throw new DelayedError();
  }
  log.warn({ code: appError.code, kind: appError.kind, attempt }, `failed: ${appError.message}`);
  const suffix = appError.kind === 'transient' ? ` (gave up after ${attempt} attempts)` : '';
  throw new UnrecoverableError(message + suffix);
}

/**
 * Unknown errors (a dropped database connection, a Redis hiccup) are treated as transient. Their message is not
 * passed on: it could quote a value.
 */
function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const name = error instanceof Error ? error.constructor.name : typeof error;
  return new AppError('transient', 'unexpected', `unexpected ${name}; see the worker log`, { cause: error });
}
