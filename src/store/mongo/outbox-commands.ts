/**
 * The documents the MongoDB OutboxStore sends, as pure functions (tested without a server). Lease times come from
 * the server's clock (`$$NOW`), as `now()` does in PostgreSQL, so publishers on machines whose clocks disagree still
 * agree on whether a lease has ended.
 */
import { Types } from 'mongoose';
import type { HeldClaim } from '../port.js';
import { isObjectId } from './connection-commands.js';

/** Documents with pending events whose claim is absent or ended (the partial index connections_outbox holds them). */
export const CLAIMABLE = {
  outboxPending: true,
  $or: [{ outboxClaimedUntil: null }, { $expr: { $lt: ['$outboxClaimedUntil', '$$NOW'] } }],
};

/** Candidates of a claim: claimable documents, but for those this claim already won (a lease may be that short). */
export function candidatesFilter(won: readonly Types.ObjectId[]) {
  return won.length === 0 ? CLAIMABLE : { ...CLAIMABLE, _id: { $nin: [...won] } };
}

/**
 * The one write that claims a batch: every candidate still claimable when the server reaches it gets the claim's
 * token and a lease ending `leaseMs` after the server's now. A candidate another publisher claimed meanwhile no
 * longer matches, so no two claims hold one document.
 */
export function claimCommand(candidates: readonly Types.ObjectId[], claim: string, leaseMs: number) {
  return {
    filter: { _id: { $in: [...candidates] }, ...CLAIMABLE },
    update: [{ $set: { outboxClaim: { $literal: claim }, outboxClaimedUntil: { $add: ['$$NOW', leaseMs] } } }],
  };
}

/** The documents a claim won, read back by its token. */
export function claimedFilter(candidates: readonly Types.ObjectId[], claim: string) {
  return { _id: { $in: [...candidates] }, outboxClaim: claim };
}

/**
 * One write per claim named: on documents still under that claim, removes the published events (events pushed
 * after the claim stay, in order), clears the pending flag when the outbox is empty, and ends the claim.
 */
export function releaseCommands(claims: readonly HeldClaim[], publishedEventIds: readonly string[]) {
  const byClaim = new Map<string, Types.ObjectId[]>();
  for (const { connectionId, claim } of claims) {
    if (!isObjectId(connectionId)) continue;
    byClaim.set(claim, [...(byClaim.get(claim) ?? []), new Types.ObjectId(connectionId)]);
  }
  const remaining = {
    $filter: {
      input: { $ifNull: ['$outbox', []] },
      as: 'event',
      // $literal: an id is data, never read as a field path or an operator.
      cond: { $not: [{ $in: ['$$event.id', { $literal: [...publishedEventIds] }] }] },
    },
  };
  const update = [
    { $set: { outbox: remaining } },
    { $set: { outboxPending: { $cond: [{ $gt: [{ $size: '$outbox' }, 0] }, true, '$$REMOVE'] } } },
    { $unset: ['outboxClaim', 'outboxClaimedUntil'] },
  ];
  return [...byClaim].map(([claim, ids]) => ({ filter: { _id: { $in: ids }, outboxClaim: claim }, update }));
}
