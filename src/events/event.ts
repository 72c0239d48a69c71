/**
 * Connection events: what other systems are told when a connection changes or breaks (README "Connection events").
 * An event holds ids and states only, never a secret or token. Its `id` is fixed when the event is stored with the
 * change it announces, so an event published twice carries the same id and consumers deduplicate on it.
 */
import { randomUUID } from 'node:crypto';
import type { Connection, ConnectionStatus, UpsertOutcome } from '../store/port.js';

export const CONNECTION_EVENT_TYPES = [
  'connection.created',
  'connection.updated',
  'connection.tested',
  'connection.renewed',
  'connection.renewal_failed',
  'connection.error',
  'connection.revoked',
] as const;
export type ConnectionEventType = (typeof CONNECTION_EVENT_TYPES)[number];

/** What a use case says about a change; the rest of the event comes from the connection. */
export interface EventDetails {
  type: ConnectionEventType;
  /** `connection.tested`: whether the test passed. */
  ok?: boolean;
  /** `connection.renewal_failed`: the attempt of the renewal job, when a job made it. */
  attempt?: number;
  /** `connection.error`, `connection.renewal_failed`: the error's stable code, such as `invalid_client`. */
  code?: string;
  /** `connection.error`, `connection.renewal_failed`: the error's message (never holds a secret). */
  description?: string;
  /** `connection.revoked`: whether the provider confirmed the revocation; null when it was not asked. */
  providerRevoked?: boolean | null;
  /** `connection.revoked`: why the provider did not revoke, when it did not. */
  reason?: string;
  /** The status before the change, when it is not the stored one (a revoke passes through `revoking`). */
  previousStatus?: ConnectionStatus;
}

export interface ConnectionEvent extends Omit<EventDetails, 'previousStatus'> {
  /** A UUID; the same whenever this event is published again. */
  id: string;
  /** ISO 8601 time of the change. */
  at: string;
  owner: string;
  connectionId: string;
  connector: string;
  /** The status after the change. */
  status: ConnectionStatus;
  /** The status before the change; null for a new connection. */
  previousStatus: ConnectionStatus | null;
}

type Subject = Pick<Connection, 'id' | 'owner' | 'connector'>;

/** The event announcing a change of `subject` from `previousStatus` to `status`. */
export function connectionEvent(
  subject: Subject,
  change: { status: ConnectionStatus; previousStatus: ConnectionStatus | null },
  details: EventDetails,
): ConnectionEvent {
  const { type, previousStatus = change.previousStatus, ...extras } = details;
  const event: ConnectionEvent = {
    id: randomUUID(),
    type,
    at: new Date().toISOString(),
    owner: subject.owner,
    connectionId: subject.id,
    connector: subject.connector,
    status: change.status,
    previousStatus,
  };
  // Absent extras stay absent: MongoDB would store an undefined value as null.
  for (const [key, value] of Object.entries(extras)) if (value !== undefined) Object.assign(event, { [key]: value });
  return event;
}

/** The events of a connect's upsert: `created`, or `updated` when the same account connected again. */
export function connectEvents(input: { owner: string; connector: string; status: ConnectionStatus }) {
  return (outcome: UpsertOutcome): ConnectionEvent[] => [
    connectionEvent(
      { id: outcome.id, owner: input.owner, connector: input.connector },
      { status: input.status, previousStatus: outcome.previousStatus },
      { type: outcome.created ? 'connection.created' : 'connection.updated' },
    ),
  ];
}
