/**
 * What the connection use cases are given. The domain knows nothing about BullMQ or Redis: the mechanisms it needs
 * are ports (`domain/ports.ts`), implemented by the queue layer and `src/redis/`.
 */

import type { DomainObserver, RenewalScheduler, SingleFlightLock } from '../domain/ports.js';
import type { Transport } from '../http/send.js';
import type { Logger } from '../log.js';
import type { KeyRing } from '../secrets/keyring.js';
import type { TransportKeyRing } from '../secrets/transport.js';
import type { Store } from '../store/port.js';
import type { BudgetGate } from './budgets/gate.js';
import type { ConnectionCache } from './cache.js';

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

export interface Services {
  store: Store;
  keys: KeyRing;
  /** Opens what producers sealed with the public key; null when TRANSPORT_PRIVATE_KEYS is not set. */
  transportKeys: TransportKeyRing | null;
  log: Logger;
  settings: DomainSettings;
  /** Single-flight token renewal: one renewal per connection at a time, across processes. */
  lock: SingleFlightLock;
  /** Sends every outbound request of the use cases. */
  transport: Transport;
  /** Connections and connectors, cached per process and checked against published versions. */
  cache: ConnectionCache;
  renewals: RenewalScheduler;
  /** Rate budgets and concurrency of calls, shared by every worker process. */
  budgets: BudgetGate;
  observer: DomainObserver;
}
