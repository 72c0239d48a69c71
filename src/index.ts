/** oauth-cc-worker's public API: the producer SDK and the job contract types. */

export type { ConnectorDefinition } from './definitions/schema.js';
export type * from './domain/use-cases.js';
export { type Client, type ClientOptions, createClient } from './queue/client.js';
export { CALL_JOB, CALLS_QUEUE, CONNECTION_JOBS, CONNECTIONS_QUEUE, EVENTS_QUEUE } from './queue/names.js';
export type * from './queue/schemas.js';
export { KeyRing } from './secrets/keyring.js';
