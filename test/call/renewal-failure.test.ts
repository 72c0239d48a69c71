import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let counter = 0;

beforeAll(async () => {
  h = await startHarness({ env: { RENEWAL_COOLDOWN_SECONDS: '60', JOB_ATTEMPTS: '2' } });
  await h.applyConnector(providerConnector(h.provider.url));
});
afterAll(() => h?.close());
beforeEach(() => h.provider.reset());

/** A connection whose token is due even for a call (the scheduled renewal is late) but not expired. */
async function dueButValid() {
  const clientId = `rf-${++counter}`;
  h.provider.registerClient({
    clientId,
    clientSecret: 'secret',
    account: { account_id: clientId, name: 'R', email: 'r@example.com' },
  });
  const { connectionId } = await h.client.connect({
    owner: 'ws',
    connector: 'acme',
    fields: { client_id: clientId, client_secret: 'secret' },
  });
  const stored = await h.runtime.store.connections.get(connectionId);
  const updated = await h.runtime.store.connections.update(connectionId, stored?.version ?? 0, {
    renewAt: new Date(Date.now() - 120_000),
    expiresAt: new Date(Date.now() + 60_000),
  });
  if (updated) await h.runtime.services.cache.publish(updated);
  h.provider.reset();
  return connectionId;
}

describe('a call on a due token while the provider fails', () => {
  it('when the renewal fails transiently and the token is still valid, the call goes through with it', async () => {
    const connectionId = await dueButValid();
    h.provider.quirk({ status503: true });
    const result = await h.client.call({ owner: 'ws', connectionId, url: 'echo' });
    expect(result.status).toBe(200);
    expect(h.provider.stats.tokenRequests).toBe(1);
  });

  it('within the cooldown after a failed renewal, further calls do not ask the provider again', async () => {
    const connectionId = await dueButValid();
    h.provider.quirk({ status503: true });
    for (let i = 0; i < 5; i++)
      expect((await h.client.call({ owner: 'ws', connectionId, url: 'echo' })).status).toBe(200);
    expect(h.provider.stats.tokenRequests).toBe(1);
    // A refresh asked for by hand still goes to the provider.
    await expect(h.client.refresh({ owner: 'ws', connectionId, force: true })).rejects.toThrow(/gave up/);
    expect(h.provider.stats.tokenRequests).toBe(3);
  });
});
