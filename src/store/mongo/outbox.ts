/**
 * OutboxStore on MongoDB: pending events live in each connection document's `outbox` array. MongoDB cannot update
 * "up to N documents" and return them in one statement, so a claim reads candidates, claims them all with one
 * `updateMany` that re-checks each one (see outbox-commands.ts), and reads back those that carry its token; while
 * other publishers took the candidates, it reads again. Neither a claim nor a release changes the connection's
 * version.
 */
import { randomUUID } from 'node:crypto';
import type { Types } from 'mongoose';
import type { ConnectionEvent } from '../../domain/model.js';
import type { OutboxStore, PendingEvents } from '../port.js';
import type { Models } from './models.js';
import { candidatesFilter, claimCommand, claimedFilter, releaseCommands } from './outbox-commands.js';

export function mongoOutbox({ Connections }: Models): OutboxStore {
  // The driver's collection: these documents are sent exactly as outbox-commands.ts builds them (mongoose would
  // refuse the pipeline updates without an extra option, and its casting adds nothing to bookkeeping fields).
  const collection = () => Connections.collection;
  return {
    async claim(limit, leaseMs) {
      const claim = randomUUID();
      const claimed: PendingEvents[] = [];
      const wonIds: Types.ObjectId[] = [];
      while (claimed.length < limit) {
        const candidates = await collection()
          .find(candidatesFilter(wonIds), { projection: { _id: 1 }, limit: limit - claimed.length })
          .toArray();
        if (candidates.length === 0) break;
        const ids = candidates.map((doc) => doc._id as Types.ObjectId);
        const { filter, update } = claimCommand(ids, claim, leaseMs);
        await collection().updateMany(filter, update);
        const won = await collection()
          .find(claimedFilter(ids, claim), { projection: { outbox: 1 } })
          .toArray();
        for (const doc of won) {
          const id = doc._id as Types.ObjectId;
          wonIds.push(id);
          claimed.push({ connectionId: id.toHexString(), events: (doc.outbox ?? []) as ConnectionEvent[], claim });
        }
      }
      return claimed;
    },

    async release(claims, publishedEventIds) {
      for (const { filter, update } of releaseCommands(claims, publishedEventIds)) {
        await collection().updateMany(filter, update);
      }
    },
  };
}
