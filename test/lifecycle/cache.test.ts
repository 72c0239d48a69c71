import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionCache } from '../../src/connections/cache.js';
import type { VersionRegistry } from '../../src/domain/ports.js';
import { RedisVersionRegistry } from '../../src/redis/versions.js';
import { tokenPlace } from '../../src/secrets/places.js';
import type { Store } from '../../src/store/port.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  h.provider.registerClient({
    clientId: 'cached',
    clientSecret: 'secret',
    account: { account_id: 'c', name: 'C', email: 'c@example.com' },
  });
});
afterAll(() => h?.close());

/** Connects the provider's `cached` client through `connector`. */
const connect = (connector: string) =>
  h.client.connect({ owner: 'ws', connector, fields: { client_id: 'cached', client_secret: 'secret' } });

describe('the connector cache', () => {
  it('when a new definition is applied, the next job uses it', async () => {
    await h.applyConnector(
      providerConnector(h.provider.url, { key: 'swap', connectionName: 'First {{test.account_id}}' }),
    );
    const first = await connect('swap');
    await h.applyConnector(
      providerConnector(h.provider.url, { key: 'swap', connectionName: 'Second {{test.account_id}}' }),
    );
    const second = await connect('swap');
    expect([first.name, second.name]).toEqual(['First c', 'Second c']);
  });

  it('when Redis holds a stamp from an older store, the store wins and the cache works again', async () => {
    await h.applyConnector(providerConnector(h.provider.url, { key: 'reset' }));
    const key = `${h.config.queuePrefix}:oauth-cc:connector-ver:reset`;
    // A store recreated from scratch restarts its version counters; an old counter left in Redis must not pin the cache.
    await h.runtime.redis.set(key, '7');
    const loaded = await h.runtime.services.cache.connector('reset');
    expect(await h.runtime.redis.get(key)).toBe(String(loaded.stored.updatedAt.getTime()));
    expect(await h.runtime.services.cache.connector('reset')).toBe(loaded);
  });

  it('when a writer died between its store write and its publish, a forced refresh decides on the stored state', async () => {
    await h.applyConnector(providerConnector(h.provider.url, { key: 'died' }));
    const { connectionId } = await connect('died');
    await h.client.call({ owner: 'ws', connectionId, url: 'echo' });
    // A refresh on another worker stored a new token and died before publishing it: caches still hold the old one.
    const stored = await h.runtime.store.connections.get(connectionId);
    await h.runtime.store.connections.update(connectionId, stored?.version ?? 0, {
      accessToken: h.keys.seal('token-of-a-dead-worker', tokenPlace(connectionId, 'access_token')),
    });
    h.provider.reset();
    expect(await h.client.refresh({ owner: 'ws', connectionId, force: true })).toMatchObject({ renewed: true });
    expect(h.provider.stats.tokenRequests).toBe(1);
    expect((await h.client.call({ owner: 'ws', connectionId, url: 'echo' })).status).toBe(200);
  });

  it('when a miss finds its version published, it publishes nothing; when the key is gone, it publishes it again', async () => {
    await h.applyConnector(providerConnector(h.provider.url, { key: 'miss' }));
    const { connectionId } = await connect('miss');
    const registry = new RedisVersionRegistry(h.runtime.redis, h.config.queuePrefix);
    const published: number[] = [];
    const counting: VersionRegistry = {
      read: (id, connectors) => registry.read(id, connectors),
      readConnector: (key) => registry.readConnector(key),
      publishConnection: (id, version) => {
        published.push(version);
        return registry.publishConnection(id, version);
      },
      publishConnector: (key, version) => registry.publishConnector(key, version),
    };
    const key = `${h.config.queuePrefix}:oauth-cc:conn-ver:${connectionId}`;
    const version = (await h.runtime.store.connections.get(connectionId))?.version;

    const loaded = await new ConnectionCache(h.runtime.store, counting).load(connectionId);
    expect(loaded?.connection.version).toBe(version);
    expect(published).toEqual([]);

    await h.runtime.redis.del(key);
    await new ConnectionCache(h.runtime.store, counting).load(connectionId);
    expect(published).toEqual([version]);
    expect(await h.runtime.redis.get(key)).toBe(String(version));
  });

  it("when a connector changed since a process read it, that process's next miss uses the new definition", async () => {
    await h.applyConnector(
      providerConnector(h.provider.url, { key: 'moved', connectionName: 'Old {{test.account_id}}' }),
    );
    const { connectionId } = await connect('moved');
    const registry = new RedisVersionRegistry(h.runtime.redis, h.config.queuePrefix);
    const cache = new ConnectionCache(h.runtime.store, registry);
    const before = await cache.connector('moved');
    expect(before.stored.definition.connectionName).toBe('Old {{test.account_id}}');

    // Another process applies a new definition; this cache holds the old one and has never read the connection.
    await h.applyConnector(
      providerConnector(h.provider.url, { key: 'moved', connectionName: 'New {{test.account_id}}' }),
    );
    const loaded = await cache.load(connectionId);
    expect(loaded?.connector.stored.definition.connectionName).toBe('New {{test.account_id}}');
    expect(await cache.load(connectionId)).toBe(loaded);
  });
});

describe('the connection cache', () => {
  it('when it is full, a connection asked for again takes the place of the least recently used one', async () => {
    await h.applyConnector(providerConnector(h.provider.url, { key: 'bound' }));
    const [a, b, c] = await Promise.all(
      ['a', 'b', 'c'].map(async (account) => {
        h.provider.registerClient({
          clientId: `bound-${account}`,
          clientSecret: 'secret',
          account: { account_id: account, name: account, email: `${account}@example.com` },
        });
        const connected = await h.client.connect({
          owner: 'ws',
          connector: 'bound',
          fields: { client_id: `bound-${account}`, client_secret: 'secret' },
        });
        return connected.connectionId;
      }),
    );
    const reads: string[] = [];
    const stored = h.runtime.store.connections;
    const connections = Object.create(stored) as typeof stored;
    connections.get = (id) => {
      reads.push(id);
      return stored.get(id);
    };
    const store = Object.assign(Object.create(h.runtime.store) as Store, { connections });
    const cache = new ConnectionCache(store, new RedisVersionRegistry(h.runtime.redis, h.config.queuePrefix), {
      maxEntries: 2,
    });

    for (const id of [a, b, a, c, a, b, c, a, b]) expect((await cache.load(id as string))?.connection.id).toBe(id);
    // The first `c` is served without being kept (a and b stay); the second is kept, in place of `a`, the least
    // recently used then.
    expect(reads).toEqual([a, b, c, c, a]);
  });
});
