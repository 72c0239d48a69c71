import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CONNECTION_EVENT_TYPES } from '../../src/domain/model.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';
import { EVENT_KEYS, eventsOf, expectNoSecret, queuedEvents } from './support.js';

let h: Harness;
const SECRET = 'ev3nt-s3cret/+=';
const owner = 'ws-events';
let clients = 0;

beforeAll(async () => {
  h = await startHarness();
  await h.applyConnector(providerConnector(h.provider.url));
});
afterAll(() => h?.close());
beforeEach(() => h.provider.reset());

async function connected() {
  const clientId = `events-${++clients}`;
  h.provider.registerClient({
    clientId,
    clientSecret: SECRET,
    lifetimeSeconds: 3600,
    account: { account_id: clientId, name: 'Ada', email: 'ada@example.com' },
  });
  const fields = { client_id: clientId, client_secret: SECRET };
  const { connectionId } = await h.client.connect({ owner, connector: 'acme', fields });
  return { clientId, connectionId, fields };
}

const events = () => h.runtime.queues.events;
const shape = (list: Awaited<ReturnType<typeof eventsOf>>) =>
  list.map(({ type, status, previousStatus }) => ({ type, status, previousStatus }));

describe('connection events', () => {
  it('when a connection is made, then made again, created and updated are published with ids and states', async () => {
    const { connectionId, fields } = await connected();
    await h.client.connect({ owner, connector: 'acme', fields });
    const published = await eventsOf(events(), connectionId, 2);
    expect(shape(published)).toEqual([
      { type: 'connection.created', status: 'active', previousStatus: null },
      { type: 'connection.updated', status: 'active', previousStatus: 'active' },
    ]);
    const [created] = published;
    expect(created).toMatchObject({ owner, connectionId, connector: 'acme' });
    expect(created?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.now() - Date.parse(created?.at ?? '')).toBeLessThan(60_000);
    // The job is named after the event and identified by its id.
    const job = await events().getJob(created?.id ?? '');
    expect(job?.name).toBe('connection.created');
  });

  it('when a test passes, then fails, tested is published each time and error once the connection breaks', async () => {
    const { connectionId } = await connected();
    await h.client.test({ owner, connectionId });
    h.provider.quirk({ apiStatus: 403 });
    await h.client.test({ owner, connectionId });
    await h.client.test({ owner, connectionId });
    const published = await eventsOf(events(), connectionId, 5);
    expect(published.slice(1).map(({ type, ok, status, code }) => ({ type, ok, status, code }))).toEqual([
      { type: 'connection.tested', ok: true, status: 'active', code: undefined },
      { type: 'connection.tested', ok: false, status: 'error', code: undefined },
      { type: 'connection.error', ok: undefined, status: 'error', code: 'test_failed' },
      { type: 'connection.tested', ok: false, status: 'error', code: undefined },
    ]);
    expect(published[3]?.description).toMatch(/403/);
  });

  it('when a renewal fails transiently and then succeeds, renewal_failed names the attempt, then renewed follows', async () => {
    const { connectionId } = await connected();
    h.provider.quirk({ failNextTokenRequests: 1 });
    await h.client.refresh({ owner, connectionId, force: true });
    const published = await eventsOf(events(), connectionId, 3);
    expect(published.slice(1)).toMatchObject([
      { type: 'connection.renewal_failed', status: 'active', previousStatus: 'active', attempt: 1 },
      { type: 'connection.renewed', status: 'active', previousStatus: 'active' },
    ]);
    expect(published[1]?.code).toBeTypeOf('string');
  });

  it('when the provider refuses the client for good, error is published with the code and description', async () => {
    const { connectionId } = await connected();
    h.provider.quirk({ tokenError: 'invalid_client' });
    await expect(h.client.refresh({ owner, connectionId, force: true })).rejects.toThrow(/invalid_client/);
    const [, error] = await eventsOf(events(), connectionId, 2);
    expect(error).toMatchObject({
      type: 'connection.error',
      status: 'error',
      previousStatus: 'active',
      code: 'invalid_client',
    });
    expect(error?.description).toMatch(/invalid_client/);
  });

  it('when the API rejects even a fresh token, renewed then error is published; the connection stays active', async () => {
    const { connectionId } = await connected();
    h.provider.quirk({ apiStatus: 401 });
    await h.client.call({ owner, connectionId, url: 'contacts' });
    const published = await eventsOf(events(), connectionId, 3);
    expect(published.slice(1)).toMatchObject([
      { type: 'connection.renewed', status: 'active' },
      { type: 'connection.error', status: 'active', previousStatus: 'active', code: 'token_rejected' },
    ]);
  });

  it('when a connection is revoked, revoked is published with providerRevoked and the status before', async () => {
    const { connectionId } = await connected();
    await h.client.revoke({ owner, connectionId });
    await h.client.revoke({ owner, connectionId });
    const published = await eventsOf(events(), connectionId, 2);
    expect(published.slice(1)).toMatchObject([
      { type: 'connection.revoked', status: 'revoked', previousStatus: 'active', providerRevoked: true },
    ]);
    // A second revoke changes nothing, so it tells nothing.
    expect(await eventsOf(events(), connectionId, 3, 500)).toHaveLength(2);
  });

  it('every published event has only the contract keys and holds no secret or token', async () => {
    const all = await queuedEvents(events());
    expect(new Set(all.map((event) => event.type))).toEqual(new Set(CONNECTION_EVENT_TYPES));
    for (const event of all) for (const key of Object.keys(event)) expect(EVENT_KEYS).toContain(key);
    expectNoSecret(JSON.stringify(all), [SECRET, ...h.provider.issuedTokens()]);
    expect(new Set(all.map((event) => event.id)).size).toBe(all.length);
  });
});
