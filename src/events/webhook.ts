/**
 * Webhook delivery: each connection event POSTed as JSON to `WEBHOOK_URL`, signed with `WEBHOOK_SECRET`. The
 * consumer of the `connection-events` queue that calls this, and retries it, is `jobs/webhook.ts`.
 *
 * Signature header: `x-oauth-cc-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The timestamp is
 * signed too, so a receiver can refuse replays of old deliveries.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ConnectionEvent } from '../domain/model.js';
import { AppError } from '../errors.js';
import { parseRetryAfter } from '../http/retry-after.js';
import type { Transport } from '../http/send.js';

export const SIGNATURE_HEADER = 'x-oauth-cc-signature';
/** The receiver's answer is not used; a large one only costs memory. */
const MAX_ANSWER_BYTES = 64 * 1024;

export interface WebhookOptions {
  /** Sends the deliveries. */
  transport: Transport;
  /** Receiver of the POSTs; https:, or http: to a loopback host (checked by the config). */
  url: string;
  /** Signs every body; without it no signature header is sent. */
  secret?: string | undefined;
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
export async function deliverWebhook(event: ConnectionEvent, options: WebhookOptions): Promise<number> {
  const body = JSON.stringify(event);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'oauth-cc-worker',
    'x-oauth-cc-event': event.type,
    'x-oauth-cc-event-id': event.id,
  };
  if (options.secret) headers[SIGNATURE_HEADER] = signWebhook(options.secret, body, Math.floor(Date.now() / 1000));
  const response = await options.transport({
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
