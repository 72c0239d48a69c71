/**
 * In-process cache of connections and connector definitions, correct across processes.
 *
 * Every write to a connection publishes its new version to the version registry (in Redis: `redis/versions.ts`); a
 * reader compares the published version with the one it holds before using a cached entry. A refresh or revoke job publishes
 * before it completes, so no later job on any worker can use the old token or a revoked connection. When the key is
 * missing (expired, or Redis lost its data) the entry is read again from the store, which is always right.
 */
import { type ResolvedConnector, resolveConnector } from '../definitions/resolve.js';
import type { ConnectorDefinition } from '../definitions/schema.js';
import type { Connection } from '../domain/model.js';
import type { PublishedVersions, VersionRegistry } from '../domain/ports.js';
import { notFound } from '../errors.js';
import { Lru } from '../lru.js';
import type { ApplyOutcome, Store, StoredConnector } from '../store/port.js';
import { RecentSightings } from './admission.js';

/**
 * A connector's published stamp is its update time, not its version counter: a store that was recreated restarts
 * its counters while Redis may still hold higher ones, but time only moves on.
 */
const connectorStamp = (stored: StoredConnector) => stored.updatedAt.getTime();

export interface LoadedConnector {
  stored: StoredConnector;
  resolved: ResolvedConnector;
}

export interface LoadedConnection {
  connection: Connection;
  connector: LoadedConnector;
  /** Per-version memo of derived values (rendered defaults, compiled allowed URLs, opened token); see `prepare.ts`. */
  memo: Map<string, unknown>;
}

/** A miss asks for the versions of the connectors held along with its connection's, up to this many. */
const MAX_CONNECTORS_READ_WITH_A_MISS = 32;

/** Connections a process's cache keeps by default. */
export const DEFAULT_CACHE_ENTRIES = 10_000;

export interface ConnectionCacheOptions {
  /**
   * Entries kept per process. Once full, a new entry takes the place of the least recently used one, and only for a
   * connection asked for recently (`admission.ts`). @default DEFAULT_CACHE_ENTRIES
   */
  maxEntries?: number;
}

export class ConnectionCache {
  private readonly connections: Lru<string, LoadedConnection>;
  /** Connections asked for recently: once the cache is full, only those take an entry (`admission.ts`). */
  private readonly sightings: RecentSightings;
  private readonly connectors = new Map<string, LoadedConnector>();

  constructor(
    private readonly store: Store,
    private readonly versions: VersionRegistry,
    options: ConnectionCacheOptions = {},
  ) {
    this.connections = new Lru(options.maxEntries ?? DEFAULT_CACHE_ENTRIES);
    this.sightings = new RecentSightings(this.connections.maxEntries);
  }

  /** The connection with its connector, fresh as of the last published write; null when it does not exist. */
  async load(id: string): Promise<LoadedConnection | null> {
    const cached = this.connections.peek(id);
    // A miss also asks for the versions of the connectors this process holds (a few keys more in the turn's MGET):
    // the connection's connector is most likely among them, and then needs no read of its own.
    const connectorKeys = cached ? [cached.connection.connector] : this.heldConnectorKeys();
    const published = this.versions.read(id, connectorKeys);
    if (cached) {
      const { connection, connectors } = await published;
      if (
        connection === cached.connection.version &&
        connectors.get(cached.connection.connector) === connectorStamp(cached.connector.stored)
      ) {
        this.connections.set(id, cached);
        return cached;
      }
    }
    const [connection, versions] = await Promise.all([this.store.connections.get(id), published]);
    if (!connection) {
      this.connections.delete(id);
      return null;
    }
    return this.remember(connection, versions);
  }

  /**
   * Caches a connection that was just read or written, with its connector, and publishes its version unless
   * `published` (what the registry held when the connection was read) already says as much.
   */
  async remember(connection: Connection, published?: PublishedVersions): Promise<LoadedConnection> {
    const connector = await this.connector(connection.connector, published?.connectors.get(connection.connector));
    const entry: LoadedConnection = { connection, connector, memo: new Map() };
    this.keep(connection.id, entry);
    if (!published || published.connection === null || published.connection < connection.version) {
      await this.versions.publishConnection(connection.id, connection.version);
    }
    return entry;
  }

  /** Call after every write of a connection, before the job that wrote it completes. */
  async publish(connection: Connection): Promise<void> {
    await this.remember(connection);
  }

  /**
   * The stored connector, resolved with its defaults; throws not found.
   * @param publishedStamp its published stamp, when it was read after the job started; read here when undefined
   */
  async connector(key: string, publishedStamp?: number | null): Promise<LoadedConnector> {
    const cached = this.connectors.get(key);
    if (cached) {
      const stamp = publishedStamp === undefined ? await this.versions.readConnector(key) : publishedStamp;
      if (stamp === connectorStamp(cached.stored)) return cached;
    }
    const stored = await this.store.connectors.get(key);
    if (!stored) throw notFound(`connector "${key}"`);
    const loaded = { stored, resolved: resolveConnector(stored.definition) };
    this.connectors.set(key, loaded);
    await this.publishConnector(stored);
    return loaded;
  }

  /** Stores a definition and publishes it, so every process's cache picks it up at once. */
  async applyConnector(definition: ConnectorDefinition): Promise<{ outcome: ApplyOutcome; version: number }> {
    const result = await this.store.connectors.apply(definition);
    const stored = await this.store.connectors.get(definition.key);
    if (stored) await this.publishConnector(stored);
    return result;
  }

  private async publishConnector(stored: StoredConnector): Promise<void> {
    await this.versions.publishConnector(stored.definition.key, connectorStamp(stored));
  }

  /**
   * Keeps `entry`, replacing the one held for `id`; when the cache is full, only for a connection seen recently:
   * the entry is used by the job at hand either way.
   */
  private keep(id: string, entry: LoadedConnection): void {
    const { connections } = this;
    if (connections.size < connections.maxEntries || connections.peek(id) || this.sightings.seenBefore(id)) {
      connections.set(id, entry);
    }
  }

  /** The keys of the connectors held, when they are few enough to ask for with every miss; otherwise none. */
  private heldConnectorKeys(): string[] {
    return this.connectors.size <= MAX_CONNECTORS_READ_WITH_A_MISS ? [...this.connectors.keys()] : [];
  }
}
