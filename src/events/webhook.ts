/**
 * Webhook delivery: a consumer of the `connection-events` queue that POSTs each event as JSON to `WEBHOOK_URL`,
 * signed with `WEBHOOK_SECRET`.
 *
 * Signature header: `x-oauth-cc-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The timestamp is
 * signed too, so a receiver can refuse replays of old deliveries.
 *
 * Retries are driven here, like the jobs' (jobs/job.ts), so they do not depend on the options of the event jobs: any
 * failure (no answer, timeout, a non-2xx status) is retried after `Retry-After` when given, else with exponential
 * backoff with jitter, until the delivery has been tried for `retryMs`; then the job fails and stays on the queue.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { AppError, isAppError } from '../errors.js';
import { backoffDelay, parseRetryAfter } from '../http/retry-after.js';
import { send } from '../http/send.js';
import type { Logger } from '../log.js';
import type { ConnectionEvent } from './event.js';

export const SIGNATURE_HEADER = 'x-oauth-cc-signature';
/** Longest pause between two deliveries of one event. */
const MAX_BACKOFF_MS = 3_600_000;
/** The receiver's answer is not used; a large one only costs memory. */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface WebhookOptions {
  /** Receiver of the POSTs; https:, or http: to a loopback host (checked by the config). */
  url: string;
  /** Signs every body; without it no signature header is sent. */
  secret?: string;
  /** How long a failing delivery is retried, from its first attempt. */
  retryMs: number;
  /** First backoff delay; doubles each attempt, with full jitter. */
  backoffMs: number;
  /** Budget of one delivery. @default 10000 */
  timeoutMs?: number;
}

/** The signature header's value for `body` sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/**
 * True when `header` signs `body` with `secret`, and was made at most `toleranceSeconds` from `now`: the check a
 * receiver makes (README "Connection events" shows it without this package).
 */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string,
  toleranceSeconds = 300,
  now = Date.now(),
): boolean {
  const parts = new Map(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.get('t'));
  const given = Buffer.from(parts.get('v1') ?? '', 'hex');
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, body, timestamp).split('v1=')[1] ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Sends one event; throws a transient AppError when the receiver did not take it. */
async function deliver(event: ConnectionEvent, options: WebhookOptions): Promise<number> {
  const body = JSON.stringify(event);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'oauth-cc-worker',
    'x-oauth-cc-event': event.type,
    'x-oauth-cc-event-id': event.id,
  };
  if (options.secret) headers[SIGNATURE_HEADER] = signWebhook(options.secret, body, Math.floor(Date.now() / 1000));
  const response = await send({
    method: 'POST',
    url: options.url,
    headers,
    body,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxResponseBytes: MAX_ANSWER_BYTES,
  });
  if (response.status >= 200 && response.status < 300) return response.status;
  throw new AppError('transient', 'webhook_refused', `webhook receiver answered ${response.status}`, {
    status: response.status,
    retryAfterMs: parseRetryAfter(response.headers['retry-after']),
  });
}

/** The processor of the webhook worker. */
export function webhookProcessor(options: WebhookOptions, log: Logger) {
  return async (job: Job<ConnectionEvent>, token?: string): Promise<{ status: number }> => {
    try {
      return { status: await deliver(job.data, options) };
    } catch (error) {
      const failure = isAppError(error) ? error : new AppError('transient', 'unexpected', 'unexpected delivery error');
      const delay = Math.min(
        failure.retryAfterMs ?? backoffDelay(job.attemptsStarted, options.backoffMs),
        MAX_BACKOFF_MS,
      );
      const context = { eventId: job.data.id, type: job.data.type, attempt: job.attemptsStarted, code: failure.code };
      if (token && Date.now() + delay <= job.timestamp + options.retryMs) {
        log.warn({ ...context, delayMs: delay }, `webhook delivery failed, retrying: ${failure.message}`);
        await job.moveToDelayed(Date.now() + delay, token);
        throw new DelayedError();
      }
      log.error(context, `webhook delivery failed, giving up: ${failure.message}`);
      throw new UnrecoverableError(
        `[${failure.code}] ${failure.message} (gave up after ${job.attemptsStarted} attempts)`,
      );
    }
  };
}
