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
import type { VersionRegistry } from '../domain/ports.js';
import { notFound } from '../errors.js';
import type { ApplyOutcome, Store, StoredConnector } from '../store/port.js';

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

/** Connections a process's cache keeps by default. */
export const DEFAULT_CACHE_ENTRIES = 10_000;

export interface ConnectionCacheOptions {
  /** Entries kept per process before the least recently used is dropped. @default DEFAULT_CACHE_ENTRIES */
  maxEntries?: number;
}

export class ConnectionCache {
  private readonly connections = new Map<string, LoadedConnection>();
  private readonly connectors = new Map<string, LoadedConnector>();
  private readonly maxEntries: number;

  constructor(
    private readonly store: Store,
    private readonly versions: VersionRegistry,
    options: ConnectionCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
  }

  /** The connection with its connector, fresh as of the last published write; null when it does not exist. */
  async load(id: string): Promise<LoadedConnection | null> {
    const cached = this.connections.get(id);
    if (cached) {
      const [connectionVersion, connectorVersion] = await this.versions.read(id, cached.connection.connector);
      if (
        connectionVersion === cached.connection.version &&
        connectorVersion === connectorStamp(cached.connector.stored)
      ) {
        this.touch(id, cached);
        return cached;
      }
    }
    // The published version is read beside the store, so that a miss republishes only when the key lacks this version.
    const [connection, published] = await Promise.all([
      this.store.connections.get(id),
      this.versions.readConnection(id),
    ]);
    if (!connection) {
      this.connections.delete(id);
      return null;
    }
    return this.remember(connection, published);
  }

  /**
   * Caches a connection that was just read or written, with its connector, and publishes its version unless
   * `published` (what the registry was seen to hold) already says as much.
   */
  async remember(connection: Connection, published: number | null = null): Promise<LoadedConnection> {
    const connector = await this.connector(connection.connector);
    const entry: LoadedConnection = { connection, connector, memo: new Map() };
    this.touch(connection.id, entry);
    if (published === null || published < connection.version) {
      await this.versions.publishConnection(connection.id, connection.version);
    }
    return entry;
  }

  /** Call after every write of a connection, before the job that wrote it completes. */
  async publish(connection: Connection): Promise<void> {
    await this.remember(connection);
  }

  /** The stored connector, resolved with its defaults; throws not found. */
  async connector(key: string): Promise<LoadedConnector> {
    const cached = this.connectors.get(key);
    if (cached) {
      if ((await this.versions.readConnector(key)) === connectorStamp(cached.stored)) return cached;
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

  private touch(id: string, entry: LoadedConnection) {
    this.connections.delete(id);
    this.connections.set(id, entry);
    if (this.connections.size > this.maxEntries) {
      const oldest = this.connections.keys().next().value;
      if (oldest !== undefined) this.connections.delete(oldest);
    }
  }
}
