import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { eventsOf } from './support.js';

let h: Harness;
const owner = 'ws-prompt';

beforeAll(async () => {
  // The poll would next look in an hour: whatever is published within the test was published by a finished job.
  h = await startHarness({ env: { EVENTS_POLL_MS: '3600000' } });
  await h.applyConnector(providerConnector(h.provider.url));
});
afterAll(() => h?.close());

async function connect(clientId: string) {
  h.provider.registerClient({
    clientId,
    clientSecret: 'secret',
    account: { account_id: clientId, name: 'Ada', email: 'ada@example.com' },
  });
  const fields = { client_id: clientId, client_secret: 'secret' };
  return (await h.client.connect({ owner, connector: 'acme', fields })).connectionId;
}

describe('events of lifecycle jobs', () => {
  it('when a job completes, its events are published then, not at the next poll', async () => {
    const connectionId = await connect('prompt-completed');
    const published = await eventsOf(h.runtime.queues.events, connectionId, 1);
    expect(published.map((event) => event.type)).toEqual(['connection.created']);
  });

  it('when a job fails, the events it stored are published then too', async () => {
    const connectionId = await connect('prompt-failed');
    h.provider.quirk({ tokenError: 'invalid_client' });
    await expect(h.client.refresh({ owner, connectionId, force: true })).rejects.toThrow(/invalid_client/);
    const published = await eventsOf(h.runtime.queues.events, connectionId, 2);
    expect(published.map((event) => event.type)).toEqual(['connection.created', 'connection.error']);
  });
});
