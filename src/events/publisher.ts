/**
 * The outbox publisher: moves stored events to the `connection-events` queue. It runs in every worker process;
 * claims (see `OutboxStore`) keep publishers off each other's connections.
 *
 * An event leaves the outbox only after the queue accepted it, so a crash at any point loses nothing: a crash before
 * the release makes the claim lapse and another round publish the same events again, under the same job ids, which
 * BullMQ ignores while the first job is still kept (consumers deduplicate on the event id beyond that).
 */
import type { JobsOptions, Queue } from 'bullmq';
import type { ConnectionEvent } from '../domain/model.js';
import type { Logger } from '../log.js';
import type { HeldClaim, OutboxStore } from '../store/port.js';
import { ATTR } from '../telemetry/attributes.js';
import { inSpan } from '../telemetry/tracing.js';

export interface PublisherOptions {
  /** Finished event jobs kept on the queue (completed and failed each). */
  retentionCount: number;
  /** Pause between two looks at an empty outbox. @default 250 */
  pollMs?: number;
  /** Connections claimed per round. @default 100 */
  batchSize?: number;
  /** How long a claim lasts; a publisher that died holding one is replaced after it. @default 30000 */
  leaseMs?: number;
}

/** Job options of an event: its id is the job id, so the same event published twice is one job. */
export function eventJob(event: ConnectionEvent, retentionCount: number) {
  const opts: JobsOptions = {
    jobId: event.id,
    removeOnComplete: { count: retentionCount },
    removeOnFail: { count: retentionCount },
  };
  return { name: event.type, data: event, opts };
}

export class EventPublisher {
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  /** Set by `nudge` during a round, whose claim may have missed the events it announces. */
  private nudged = false;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly queue: Queue,
    private readonly log: Logger,
    private readonly options: PublisherOptions,
  ) {
    this.pollMs = options.pollMs ?? 250;
    this.batchSize = options.batchSize ?? 100;
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  /** One round: claims, publishes and releases up to `batchSize` connections. Returns the connections handled. */
  async publishOnce(): Promise<number> {
    const claimed = await this.outbox.claim(this.batchSize, this.leaseMs);
    if (claimed.length === 0) return 0;
    const events = claimed.flatMap((pending) => pending.events);
    await inSpan('events.publish', { [ATTR.eventCount]: events.length }, () => this.send(claimed, events));
    return claimed.length;
  }

  /** Adds the events to the queue, then removes them from the outbox; on failure gives the claims back at once. */
  private async send(claims: readonly HeldClaim[], events: ConnectionEvent[]): Promise<void> {
    try {
      await this.queue.addBulk(events.map((event) => eventJob(event, this.options.retentionCount)));
    } catch (error) {
      // Give the claims back at once, so the next round (here or elsewhere) retries without waiting for the lease.
      await this.outbox.release(claims, []).catch(() => {});
      throw error;
    }
    await this.outbox.release(
      claims,
      events.map((event) => event.id),
    );
  }

  /** Publishes until `close`: at once while there is more, then every `pollMs`. Errors are logged and retried. */
  start(): void {
    this.running ??= this.loop();
  }

  /** Looks at the outbox now instead of at the next poll (after the current round, if one is running). */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  /** Stops after the current round. */
  async close(): Promise<void> {
    this.stopped = true;
    this.nudge();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let handled = 0;
      this.nudged = false;
      try {
        handled = await this.publishOnce();
      } catch (error) {
        this.log.warn({ err: { message: (error as Error).message } }, 'publishing connection events failed; retrying');
      }
      if (handled < this.batchSize && !this.stopped && !this.nudged) await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.pollMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
