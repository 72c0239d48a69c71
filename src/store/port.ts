/**
 * The store port: what the domain needs from persistence. Two adapters implement it with the same behaviour
 * (PostgreSQL in `postgres/`, MongoDB in `mongo/`); `test/store/contract.test.ts` holds them to it.
 *
 * Sealed values (`secrets`, `accessToken`, `refreshToken`) are opaque strings here: the store never sees clear text.
 */
import type { ConnectorDefinition } from '../definitions/schema.js';
import type {
  Connection,
  ConnectionEvent,
  ConnectionInput,
  ConnectionPatch,
  ConnectionStatus,
  DueConnection,
  UpsertOutcome,
} from '../domain/model.js';

export interface StoredConnector {
  definition: ConnectorDefinition;
  /** Incremented when the definition changes; caches compare it. */
  version: number;
  updatedAt: Date;
}

export type ApplyOutcome = 'created' | 'updated' | 'unchanged';

/** A connection's events not yet published, in the order they were written. */
export interface PendingEvents {
  connectionId: string;
  events: ConnectionEvent[];
  /**
   * The claim's fencing token: a release that passes it applies only while this claim is still the connection's
   * current one, so a publisher whose lease lapsed and was taken over cannot end or empty the newer claim.
   */
  claim: string;
}

/** What a release names: the connection and the claim it was given. */
export type HeldClaim = Pick<PendingEvents, 'connectionId' | 'claim'>;

export interface Page<T> {
  items: T[];
  /** Pass back as `after` to read the next page; null on the last page. */
  next: string | null;
}

export interface ConnectorStore {
  /** Insert or replace a definition by key. `unchanged` when the stored one is deeply equal. */
  apply(definition: ConnectorDefinition): Promise<{ outcome: ApplyOutcome; version: number }>;
  get(key: string): Promise<StoredConnector | null>;
  list(): Promise<StoredConnector[]>;
}

export interface ConnectionStore {
  get(id: string): Promise<Connection | null>;
  /**
   * Insert, or update in place the connection with the same (connector, owner, uniqueId), atomically: two
   * concurrent calls for the same account end with one connection. On update, `createdAt` and `id` are kept and the
   * version is incremented.
   * @param events Called with what the upsert finds; the events it returns are added to the connection's outbox in
   * the same atomic write (see `OutboxStore`).
   * @param bind Called with the id the connection will have (its existing one, or a new one) before it is written;
   * what it returns is written over `input`. Sealed values are bound to their connection's id, so they are sealed
   * here, once that id is known.
   */
  upsert(
    input: ConnectionInput,
    events?: (outcome: UpsertOutcome) => ConnectionEvent[],
    bind?: (id: string) => Omit<ConnectionPatch, 'uniqueId'>,
  ): Promise<{ connection: Connection; created: boolean }>;
  /**
   * Apply `patch` if the stored version is still `expectedVersion`. Returns the new connection, or null when the
   * version moved on (the caller re-reads and decides) or the connection is gone.
   * @param events Added to the connection's outbox in the same atomic write, only when the patch applies.
   */
  update(
    id: string,
    expectedVersion: number,
    patch: ConnectionPatch,
    events?: readonly ConnectionEvent[],
  ): Promise<Connection | null>;
  list(
    filter: { owner?: string; connector?: string; status?: ConnectionStatus },
    page?: { after?: string; limit?: number },
  ): Promise<Page<Connection>>;
  /**
   * Active connections whose `renewAt` is at or before `before`, ordered by (renewAt, id), paged by keyset so the
   * cost follows the number of due connections (served by an index), not the total.
   */
  findDue(before: Date, page?: { after?: string; limit?: number }): Promise<Page<DueConnection>>;
  /** Count of connections by status (for metrics). */
  countByStatus(): Promise<Record<ConnectionStatus, number>>;
}

/**
 * The transactional outbox of connection events. Events live on their connection's row or document, written by the
 * same statement as the change they announce, so a change is never stored without its events nor the other way
 * round. A publisher claims connections with pending events, publishes them, then releases the claim, removing
 * exactly the events it published. Claims are leases: several publishers never hold the same connection at once,
 * and a publisher that died holding one is replaced when the lease ends.
 */
export interface OutboxStore {
  /** Claims up to `limit` connections with pending events, unclaimed or whose lease ended, for `leaseMs`. */
  claim(limit: number, leaseMs: number): Promise<PendingEvents[]>;
  /**
   * Removes the events `publishedEventIds` from these connections' outboxes and ends their claims; a connection
   * whose current claim is no longer the one named is left as it is (its events are published again, under the
   * same ids, by the publisher holding it now).
   */
  release(claims: readonly HeldClaim[], publishedEventIds: readonly string[]): Promise<void>;
}

export interface Store {
  connectors: ConnectorStore;
  connections: ConnectionStore;
  outbox: OutboxStore;
  /** Creates tables/collections and indexes if missing; idempotent. */
  migrate(): Promise<void>;
  /** Resolves when the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
