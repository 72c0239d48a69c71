/**
 * What the connection domain needs from the outside world. The domain knows nothing about BullMQ: scheduling a
 * renewal and publishing an event are ports, implemented by the queue layer.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import type { KeyRing } from '../secrets/keyring.js';
import type { Connection, Store } from '../store/port.js';
import type { ConnectionCache } from './cache.js';
import type { RenewalLock } from './lock.js';

export interface DomainSettings {
  /** Budget of one token or revocation request. */
  tokenRequestTimeoutMs: number;
  /** Default budget of a `call` request. */
  callTimeoutMs: number;
  /** Upper bound of a job's `timeoutMs`. */
  callMaxTimeoutMs: number;
  /** Larger upstream answers fail the call. */
  callMaxResponseBytes: number;
  /**
   * After a failed renewal, calls keep using a token that is due but not yet expired for this long instead of asking
   * the provider again on every call.
   */
  renewalCooldownMs: number;
}

/** Schedules a connection's next renewal (a delayed `refresh` job). Implemented in `queue/renewals.ts`. */
export interface RenewalScheduler {
  schedule(connection: Connection): Promise<void>;
}

/** Observers of what the domain does; metrics and events plug in here. Every method is optional. */
export interface DomainObserver {
  tokenRequested?(connector: string, outcome: 'ok' | 'permanent' | 'transient'): void;
  renewed?(connection: Connection, outcome: 'ok' | 'failed'): void;
  lockWaited?(): void;
}

export interface Services {
  store: Store;
  keys: KeyRing;
  redis: Redis;
  log: Logger;
  settings: DomainSettings;
  lock: RenewalLock;
  /** Connections and connectors, cached per process and checked against published versions. */
  cache: ConnectionCache;
  renewals: RenewalScheduler;
  observer: DomainObserver;
}
