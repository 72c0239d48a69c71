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
export type JobName = ConnectionJobName | typeof CALL_JOB;

/** The deduplication id of a connection's scheduled renewal: at most one pending per connection. */
export const renewalDeduplicationId = (connectionId: string) => `renew:${connectionId}`;
