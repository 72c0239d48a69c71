/**
 * Scenario 4: providers misbehave while the mixed load runs against a healthy one. Each misbehaviour gets a provider
 * and connector of its own; a connected account is force-refreshed and a new account connects through it. Transient
 * failures are retried (Retry-After honoured) and finally fail the job while the connection stays active with the
 * error recorded; permanent ones fail at once and put the connection in `error`. A failed connect stores nothing.
 */
import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providerConnector } from '../support/connectors.js';
import { type Quirks, startProvider, type TestProvider } from '../support/provider.js';
import { recordScenario } from '../support/report.js';
import { type ScenarioSystem, startScenario } from '../support/scenario.js';

const ATTEMPTS = 3;
let system: ScenarioSystem;
const providers: TestProvider[] = [];

interface Case {
  name: string;
  quirk: () => Partial<Quirks>;
  kind: 'transient' | 'permanent';
  /** The stable code in the failure reason and in the connection's lastError. */
  code: string;
  /** Least time the refresh job must take, when the provider asked to wait. */
  minMs?: number;
}

const CASES: Case[] = [
  { name: '500', quirk: () => ({ status5xx: 500 }), kind: 'transient', code: 'server_error' },
  { name: '502', quirk: () => ({ status5xx: 502 }), kind: 'transient', code: 'server_error' },
  { name: '503', quirk: () => ({ status503: true }), kind: 'transient', code: 'temporarily_unavailable' },
  { name: '504', quirk: () => ({ status5xx: 504 }), kind: 'transient', code: 'server_error' },
  {
    name: '429 Retry-After seconds',
    quirk: () => ({ status429RetryAfter: 2 }),
    kind: 'transient',
    code: 'rate_limited',
    minMs: (ATTEMPTS - 1) * 2000,
  },
  {
    name: '429 Retry-After date',
    quirk: () => ({ status429RetryAfter: new Date(Date.now() + 4000).toUTCString() }),
    kind: 'transient',
    code: 'rate_limited',
    minMs: 2000,
  },
  { name: 'answer after 40 s', quirk: () => ({ delayMs: 40_000 }), kind: 'transient', code: 'timeout' },
  { name: 'connection reset', quirk: () => ({ resetConnection: true }), kind: 'transient', code: 'network' },
  { name: 'HTML error page', quirk: () => ({ htmlErrorPage: 502 }), kind: 'transient', code: 'server_error' },
  { name: 'malformed JSON', quirk: () => ({ malformedJson: true }), kind: 'permanent', code: 'invalid_token_response' },
  {
    name: '200 with an error body',
    quirk: () => ({ okWithErrorBody: true }),
    kind: 'permanent',
    code: 'invalid_client',
  },
];

beforeAll(async () => {
  system = await startScenario({
    JOB_ATTEMPTS: String(ATTEMPTS),
    JOB_BACKOFF_MS: '200',
    TOKEN_REQUEST_TIMEOUT_MS: '2000',
  });
});
afterAll(async () => {
  await system?.close();
  await Promise.all(providers.map((provider) => provider.close()));
});

/** Runs one case; returns what went wrong, in words. */
async function runCase(c: Case, index: number): Promise<string[]> {
  const { h } = system;
  const provider = await startProvider();
  providers.push(provider);
  const connector = `faulty-${index}`;
  await h.applyConnector(providerConnector(provider.url, { key: connector }));
  for (const clientId of ['existing', 'newcomer']) {
    provider.registerClient({
      clientId,
      clientSecret: `secret-${index}`,
      account: { account_id: clientId, name: c.name, email: 'f@example.test' },
    });
  }
  const owner = `faults-${index}`;
  const fields = (clientId: string) => ({ client_id: clientId, client_secret: `secret-${index}` });
  const { connectionId } = await h.client.connect({ owner, connector, fields: fields('existing') });
  provider.reset();
  provider.quirk(c.quirk());

  const queue = h.runtime.queues.connections;
  const refreshId = await h.client.enqueue('refresh', { owner, connectionId, force: true });
  const connectId = await h.client.enqueue('connect', { owner, connector, fields: fields('newcomer') });
  const outcomes = await Promise.allSettled([
    h.client.result('refresh', refreshId, 120_000),
    h.client.result('connect', connectId, 120_000),
  ]);
  const problems: string[] = [];
  const fail = (what: string) => problems.push(`${c.name}: ${what}`);
  const attempts = c.kind === 'transient' ? ATTEMPTS : 1;
  for (const [i, outcome] of outcomes.entries()) {
    const job = i === 0 ? 'refresh' : 'connect';
    if (outcome.status === 'fulfilled') fail(`${job} completed; expected it to fail`);
    else if (!String(outcome.reason).includes(`[${c.code}]`))
      fail(`${job} failed with ${outcome.reason}; expected [${c.code}]`);
    else if (c.kind === 'transient' && !/gave up after 3 attempts/.test(String(outcome.reason)))
      fail(`${job}: not retried: ${outcome.reason}`);
  }
  const refresh = await Job.fromId(queue, refreshId);
  if (refresh?.attemptsStarted !== attempts)
    fail(`refresh ran ${refresh?.attemptsStarted} times; expected ${attempts}`);
  const took = (refresh?.finishedOn ?? 0) - (refresh?.timestamp ?? 0);
  if (c.minMs !== undefined && took < c.minMs)
    fail(`refresh retried after ${took} ms; Retry-After asked for ${c.minMs}`);
  if (provider.stats.tokenRequests !== attempts * 2)
    fail(`${provider.stats.tokenRequests} token requests; expected ${attempts * 2}`);

  const stored = await h.runtime.store.connections.get(connectionId);
  const expected = c.kind === 'transient' ? { status: 'active', renewAt: 'set' } : { status: 'error', renewAt: null };
  if (stored?.status !== expected.status) fail(`connection is ${stored?.status}; expected ${expected.status}`);
  if ((stored?.renewAt === null) !== (expected.renewAt === null))
    fail(`renewAt ${stored?.renewAt}; expected ${expected.renewAt}`);
  if (stored?.lastError?.code !== c.code) fail(`lastError ${stored?.lastError?.code}; expected ${c.code}`);
  if (stored?.accessToken === null) fail('the working token was dropped');
  const { items } = await h.runtime.store.connections.list({ owner });
  if (items.length !== 1) fail(`${items.length} connections for the owner; the failed connect must store nothing`);
  return problems;
}

describe('the provider misbehaves', () => {
  it('when token endpoints fail in every way, each failure is classified and each connection ends right, while the load completes', async () => {
    const { load } = system;
    await load.connectAccounts();
    const loadDone = load.enqueueMixed().then(() => load.waitUntilFinished(120_000));
    const problems = (await Promise.all(CASES.map(runCase))).flat();
    await loadDone;
    const audit = await load.audit();
    const row = recordScenario('4. provider faults', audit, problems);
    expect(row.problems).toEqual([]);
  });
});
