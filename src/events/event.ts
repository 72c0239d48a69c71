/**
 * Connection events: what other systems are told when a connection changes or breaks (README "Connection events").
 * An event holds ids and states only, never a secret or token. Its `id` is fixed when the event is stored with the
 * change it announces, so an event published twice carries the same id and consumers deduplicate on it.
 */
import { randomUUID } from 'node:crypto';
import type { Connection, ConnectionEvent, ConnectionStatus, EventDetails, UpsertOutcome } from '../domain/model.js';

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
