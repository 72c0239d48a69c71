/**
 * OutboxStore on PostgreSQL: pending events live in `connections.pending_events`. A claim is a lease written to
 * `events_claimed_until` by one statement whose `FOR UPDATE SKIP LOCKED` lets concurrent publishers claim disjoint
 * rows without waiting; neither a claim nor a release changes the connection's version.
 */
import type { ConnectionEvent } from '../../domain/model.js';
import type { OutboxStore } from '../port.js';
import type { Db } from './db.js';
import { isConnectionId } from './rows.js';

export function postgresOutbox(db: Db): OutboxStore {
  const connections = db.table('connections');
  return {
    async claim(limit, leaseMs) {
      const rows = await db.query<{ id: string; pending_events: ConnectionEvent[] }>(
        `UPDATE ${connections} SET events_claimed_until = now() + $2 * interval '1 millisecond'
         WHERE id IN (
           SELECT id FROM ${connections}
           WHERE pending_events IS NOT NULL AND (events_claimed_until IS NULL OR events_claimed_until < now())
           LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id, pending_events`,
        [limit, leaseMs],
      );
      return rows.map((row) => ({ connectionId: row.id, events: row.pending_events }));
    },

    async release(connectionIds, publishedEventIds) {
      const ids = connectionIds.filter(isConnectionId);
      if (ids.length === 0) return;
      // Events appended after the claim are kept, in order; an empty outbox becomes null again.
      await db.query(
        `UPDATE ${connections} SET events_claimed_until = NULL, pending_events = (
           SELECT jsonb_agg(event ORDER BY position) FROM jsonb_array_elements(pending_events)
             WITH ORDINALITY AS pending(event, position)
           WHERE NOT (event->>'id' = ANY($2::text[])))
         WHERE id = ANY($1::uuid[])`,
        [ids, publishedEventIds],
      );
    },
  };
}
