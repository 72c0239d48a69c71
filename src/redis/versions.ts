/**
 * The version registry in Redis: one small key per connection and per connector holding the newest version any
 * process wrote. Reads of one event-loop turn share one MGET (`batched-get.ts`); publishing goes through a script
 * (sent by its hash once loaded) that only ever raises the stored number, so a slow writer cannot roll a key back. A missing key (expired, or Redis
 * lost its data) reads as null, which makes a cache read the store: always right.
 */
import type { Cluster, Redis } from 'ioredis';
import type { PublishedVersions, VersionRegistry } from '../domain/ports.js';
import { BatchedGet } from './batched-get.js';

const PUBLISH_SCRIPT = `
local current = tonumber(redis.call('get', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return 1`;

/** Long enough that an idle connection's cache entry survives; short enough that deleted ones fade away. */
const VERSION_TTL_SECONDS = 30 * 24 * 3600;

const toVersion = (value: string | null | undefined): number | null => (value == null ? null : Number(value));

interface VersionCommands {
  publishVersion(key: string, version: number, ttlSeconds: number): Promise<number>;
}

export class RedisVersionRegistry implements VersionRegistry {
  private readonly reads: BatchedGet;
  private readonly commands: VersionCommands;

  /** @param prefix Key namespace, such as the queue prefix. */
  constructor(
    redis: Redis | Cluster,
    private readonly prefix: string,
  ) {
    this.reads = new BatchedGet(redis);
    redis.defineCommand('publishVersion', { numberOfKeys: 1, lua: PUBLISH_SCRIPT });
    this.commands = redis as unknown as VersionCommands;
  }

  private connectionKey(id: string) {
    return `${this.prefix}:oauth-cc:conn-ver:${id}`;
  }

  private connectorKey(key: string) {
    return `${this.prefix}:oauth-cc:connector-ver:${key}`;
  }

  // Every call job runs this, so it builds its arrays and map directly, without intermediate ones.
  async read(connectionId: string, connectorKeys: readonly string[]): Promise<PublishedVersions> {
    const keys = [this.connectionKey(connectionId)];
    for (const key of connectorKeys) keys.push(this.connectorKey(key));
    const values = await this.reads.read(keys);
    const connectors = new Map<string, number | null>();
    for (let i = 0; i < connectorKeys.length; i++) connectors.set(connectorKeys[i] as string, toVersion(values[i + 1]));
    return { connection: toVersion(values[0]), connectors };
  }

  async readConnector(connectorKey: string): Promise<number | null> {
    const [version] = await this.reads.read([this.connectorKey(connectorKey)]);
    return toVersion(version);
  }

  async publishConnection(connectionId: string, version: number): Promise<void> {
    await this.commands.publishVersion(this.connectionKey(connectionId), version, VERSION_TTL_SECONDS);
  }

  async publishConnector(connectorKey: string, version: number): Promise<void> {
    await this.commands.publishVersion(this.connectorKey(connectorKey), version, VERSION_TTL_SECONDS);
  }
}
