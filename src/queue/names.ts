/** Queue and job names: part of the public job contract (README "Job contract"). */

/** Connection management. Kept apart from `calls` so that API traffic can never starve it. */
export const CONNECTIONS_QUEUE = 'connections';
/** API calls made with a connection's credentials: the high-volume queue. */
export const CALLS_QUEUE = 'calls';
/** Connection events for other systems (README "Connection events"). */
export const EVENTS_QUEUE = 'connection-events';

export const CONNECTION_JOBS = ['connect', 'test', 'refresh', 'revoke'] as const;
export type ConnectionJobName = (typeof CONNECTION_JOBS)[number];
export const CALL_JOB = 'call';
/**
 * Length of a call queue's event stream (BullMQ trims it to about this many entries). Each `completed` entry holds
 * the call's result, so this bounds the Redis memory the stream keeps (docs/OPERATIONS.md); BullMQ's 10,000 would
 * keep about five thousand results. It still leaves the SDK's result listener hundreds of jobs of lag. Every BullMQ
 * Queue writes its own value when it starts: producers using plain BullMQ pass the same (README).
 */
export const CALL_EVENTS_MAX_LENGTH = 2_000;
export type JobName = ConnectionJobName | typeof CALL_JOB;

/** The deduplication id of a connection's scheduled renewal: at most one pending per connection. */
export const renewalDeduplicationId = (connectionId: string) => `renew:${connectionId}`;

/** How the queues are laid out in Redis: what producers and workers must agree on. */
export interface QueueLayout {
  /** On a Redis Cluster every queue name is a hash tag, so that each queue's keys share one slot. */
  cluster: boolean;
  /** Number of call queues (`CALL_PARTITIONS`). */
  callPartitions: number;
}

export interface QueueNames {
  connections: string;
  events: string;
  /** One per partition, in partition order. */
  calls: string[];
}

/**
 * The queue names of a layout. With one Redis and one partition they are the plain names above; more partitions are
 * `calls-0`, `calls-1`, …; on a cluster each name is wrapped in braces (`{calls-0}`), which makes it the hash tag
 * of every key of that queue, so BullMQ's scripts touch one slot and different queues land on different masters.
 */
export function queueNames(layout: QueueLayout): QueueNames {
  const name = (base: string) => (layout.cluster ? `{${base}}` : base);
  const calls =
    layout.callPartitions === 1
      ? [name(CALLS_QUEUE)]
      : Array.from({ length: layout.callPartitions }, (_, partition) => name(`${CALLS_QUEUE}-${partition}`));
  return { connections: name(CONNECTIONS_QUEUE), events: name(EVENTS_QUEUE), calls };
}
