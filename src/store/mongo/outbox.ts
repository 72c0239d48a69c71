/**
 * OutboxStore on MongoDB: pending events live in each connection document's `outbox` array. A claim is a lease set
 * by one `findOneAndUpdate` per document, so concurrent publishers never claim the same one; neither a claim nor a
 * release changes the connection's version.
 */
import { Types } from 'mongoose';
import type { OutboxStore, PendingEvents } from '../port.js';
import type { ConnectionDoc, Models } from './models.js';

const OBJECT_ID = /^[0-9a-f]{24}$/i;

export function mongoOutbox({ Connections }: Models): OutboxStore {
  return {
    async claim(limit, leaseMs) {
      const claimed: PendingEvents[] = [];
      while (claimed.length < limit) {
        const now = new Date();
        const doc = await Connections.findOneAndUpdate(
          { outboxPending: true, $or: [{ outboxClaimedUntil: null }, { outboxClaimedUntil: { $lt: now } }] },
          { $set: { outboxClaimedUntil: new Date(now.getTime() + leaseMs) } },
          { projection: { outbox: 1 }, returnDocument: 'after', lean: true },
        );
        if (!doc) break;
        const { _id, outbox } = doc as Pick<ConnectionDoc, '_id' | 'outbox'>;
        claimed.push({ connectionId: _id.toHexString(), events: outbox ?? [] });
      }
      return claimed;
    },

    async release(connectionIds, publishedEventIds) {
      const ids = connectionIds.filter((id) => OBJECT_ID.test(id)).map((id) => new Types.ObjectId(id));
      if (ids.length === 0) return;
      await Connections.updateMany(
        { _id: { $in: ids } },
        { $pull: { outbox: { id: { $in: [...publishedEventIds] } } }, $unset: { outboxClaimedUntil: '' } },
      );
      // A separate write, conditional on the outbox being empty: an event pushed meanwhile keeps the flag. Should this
      // process die in between, the next claim finds an empty outbox and its release clears the flag.
      await Connections.updateMany({ _id: { $in: ids }, outbox: { $size: 0 } }, { $unset: { outboxPending: '' } });
    },
  };
}
