/**
 * OutboxStore on PostgreSQL: pending events live in `connections.pending_events`. A claim is a lease written to
 * `events_claimed_until` by one statement whose `FOR UPDATE SKIP LOCKED` lets concurrent publishers claim disjoint
 * rows without waiting, with a fresh fencing token in `events_claim` that a release must name. Neither a claim nor a
 * release changes the connection's version.
 */
import { randomUUID } from 'node:crypto';
import type { ConnectionEvent } from '../../domain/model.js';
import type { OutboxStore } from '../port.js';
import type { Db } from './db.js';
import { isUuid } from './rows.js';

export function postgresOutbox(db: Db): OutboxStore {
  const connections = db.table('connections');
  return {
    async claim(limit, leaseMs) {
      const claim = randomUUID();
      const rows = await db.query<{ id: string; pending_events: ConnectionEvent[] }>(
        `UPDATE ${connections} SET events_claimed_until = now() + $2 * interval '1 millisecond', events_claim = $3
         WHERE id IN (
           SELECT id FROM ${connections}
           WHERE pending_events IS NOT NULL AND (events_claimed_until IS NULL OR events_claimed_until < now())
           LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id, pending_events`,
        [limit, leaseMs, claim],
      );
      return rows.map((row) => ({ connectionId: row.id, events: row.pending_events, claim }));
    },

    async release(claims, publishedEventIds) {
      const held = claims.filter((item) => isUuid(item.connectionId) && isUuid(item.claim));
      if (held.length === 0) return;
      // Only rows still under the named claim; events appended after the claim are kept, in order; an empty outbox
      // becomes null again.
      await db.query(
        `UPDATE ${connections} AS c SET events_claimed_until = NULL, events_claim = NULL, pending_events = (
           SELECT jsonb_agg(event ORDER BY position) FROM jsonb_array_elements(c.pending_events)
             WITH ORDINALITY AS pending(event, position)
           WHERE NOT (event->>'id' = ANY($3::text[])))
         FROM unnest($1::uuid[], $2::uuid[]) AS held(id, claim)
         WHERE c.id = held.id AND c.events_claim = held.claim`,
        [held.map((item) => item.connectionId), held.map((item) => item.claim), publishedEventIds],
      );
    },
  };
}
