/**
 * Hostile input through real queues and the store: random and malformed job payloads, and mutated connector
 * definitions applied the way `oauth-cc connectors apply` does. Every bad input ends in a clear error (a stable code,
 * never `[unexpected]`), the worker keeps running, nothing is polluted, and no partial connection is stored.
 */

import { Queue } from 'bullmq';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../src/definitions/schema.js';
import { validateDefinition } from '../../src/definitions/validate.js';
import { CALLS_QUEUE, CONNECTIONS_QUEUE } from '../../src/queue/names.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let queues: Record<string, Queue>;
const CLEAR_FAILURE = /^\[(?!unexpected\])[a-z_]+\] \S/;

beforeAll(async () => {
  h = await startHarness({ env: { JOB_BACKOFF_MS: '10', JOB_ATTEMPTS: '2', TOKEN_REQUEST_TIMEOUT_MS: '2000' } });
  await h.applyConnector(providerConnector(h.provider.url));
  h.provider.registerClient({ clientId: 'real', clientSecret: 'real-secret' });
  const options = { connection: h.runtime.redis, prefix: h.config.queuePrefix };
  queues = {
    [CONNECTIONS_QUEUE]: new Queue(CONNECTIONS_QUEUE, options),
    [CALLS_QUEUE]: new Queue(CALLS_QUEUE, options),
  };
});
afterAll(async () => {
  await Promise.all(Object.values(queues ?? {}).map((queue) => queue.close()));
  await h?.close();
});

/** Adds a raw job, as any producer could, and waits for it: its failure reason, or 'completed'. */
async function runRaw(queueName: string, name: string, data: unknown): Promise<string> {
  const job = await queues[queueName]!.add(name, data);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const state = await job.getState();
    if (state === 'completed') return 'completed';
    if (state === 'failed') return (await queues[queueName]!.getJob(job.id as string))?.failedReason ?? '';
    if (Date.now() > deadline) return `still ${state}`;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom(
    '',
    ' ',
    '\r\n',
    '\u0000',
    '__proto__',
    'constructor',
    '{{access_token}}',
    '../..',
    'a'.repeat(10_000),
  ),
);
const hostileValue = fc.oneof(fc.anything(), hostileString, fc.constantFrom(null, -1, 1e308, Number.NaN, true, [], {}));

/** A valid payload of one job type with one key replaced, removed or added. */
const mutatedPayload = fc
  .record({
    name: fc.constantFrom('connect', 'test', 'refresh', 'revoke', 'call'),
    key: fc.constantFrom(
      'owner',
      'connectionId',
      'connector',
      'fields',
      'url',
      'method',
      'headers',
      'query',
      'body',
      'timeoutMs',
      'force',
      '__proto__',
      'extra',
    ),
    value: hostileValue,
    remove: fc.boolean(),
  })
  .map(({ name, key, value, remove }) => {
    const base: Record<string, unknown> =
      name === 'connect'
        ? { owner: 'hostile', connector: 'acme', fields: { client_id: 'real', client_secret: 'real-secret' } }
        : { owner: 'hostile', connectionId: 'c-1', ...(name === 'call' && { url: 'echo' }) };
    const data = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
    if (remove) delete data[key];
    else Object.defineProperty(data, key, { value, enumerable: true, writable: true, configurable: true });
    return { name: name as string, data };
  });

const anyJob = fc.oneof(
  mutatedPayload,
  fc.record({ name: fc.oneof(fc.constantFrom('connect', 'call', 'refresh'), fc.string()), data: fc.anything() }),
);

describe('hostile job payloads through real queues', () => {
  it('each fails with a clear error or completes, the worker keeps running, and nothing partial is stored', async () => {
    await fc.assert(
      fc.asyncProperty(anyJob, fc.boolean(), async ({ name, data }, onCalls) => {
        const reason = await runRaw(onCalls ? CALLS_QUEUE : CONNECTIONS_QUEUE, name, data);
        // A valid connect may complete (the payload mutation kept it valid); anything else must fail clearly.
        if (reason !== 'completed') expect(reason).toMatch(CLEAR_FAILURE);
        expect(reason).not.toMatch(/real-secret/);
      }),
      { numRuns: 120 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    // Only complete connections exist, of the one real account; the worker still runs jobs.
    const { items } = await h.runtime.store.connections.list({});
    for (const connection of items) {
      expect(connection).toMatchObject({ status: 'active', uniqueId: 'real', connector: 'acme' });
      expect(connection.accessToken).toMatch(/^sealed:v3:/);
    }
    expect(await h.client.test({ owner: 'nobody', connectionId: 'x' }).catch((e: Error) => e.message)).toMatch(
      /not found/,
    );
  }, 120_000);
});

describe('text the store cannot hold', () => {
  // PostgreSQL refuses U+0000 in text and jsonb; every JSON producer can send it.
  it.each([
    ['test', { owner: 'nul', connectionId: 'a\u0000b' }],
    ['refresh', { owner: 'n\u0000l', connectionId: 'c-1' }],
    [
      'connect',
      { owner: 'nul', connector: 'acme', name: 'x\u0000', fields: { client_id: 'real', client_secret: 'real-secret' } },
    ],
    ['connect', { owner: 'nul\u0000', connector: 'acme', fields: { client_id: 'real', client_secret: 'real-secret' } }],
  ])(
    'when a %s job carries a NUL character, it fails at once with a clear error and stores nothing',
    async (name, data) => {
      const reason = await runRaw(name === 'call' ? CALLS_QUEUE : CONNECTIONS_QUEUE, name, data);
      expect(reason).toMatch(/^\[(unstorable_text|not_found|invalid_payload)\] /);
      expect((await h.runtime.store.connections.list({ owner: 'nul' })).items).toEqual([]);
    },
  );

  it.each([
    ['test', { owner: 'lone', connectionId: 'a\uD800b' }],
    [
      'connect',
      { owner: 'lone\uDC00', connector: 'acme', fields: { client_id: 'real', client_secret: 'real-secret' } },
    ],
    [
      'connect',
      { owner: 'lone', connector: 'acme', fields: { client_id: 'real\uD800', client_secret: 'real-secret' } },
    ],
  ])('when a %s job carries a lone surrogate, it fails at once naming it, and stores nothing', async (name, data) => {
    const reason = await runRaw(CONNECTIONS_QUEUE, name, data);
    expect(reason).toMatch(/^\[invalid_payload\] .*must not contain a lone surrogate/);
    expect((await h.runtime.store.connections.list({ owner: 'lone' })).items).toEqual([]);
  });

  it('when a producer gives a client secret with a lone surrogate, the SDK refuses it naming the field, and nothing is sent', async () => {
    const before = h.provider.stats.tokenRequests;
    const reason = await h.client
      .connect({
        owner: 'lone-secret',
        connector: 'acme',
        fields: { client_id: 'real', client_secret: 'sec\uD800ret' },
      })
      .then(
        () => 'completed',
        (error: Error) => error.message,
      );
    expect(reason).toMatch(/fields\.client_secret: must not contain a lone surrogate/);
    expect(h.provider.stats.tokenRequests).toBe(before);
    expect((await h.runtime.store.connections.list({ owner: 'lone-secret' })).items).toEqual([]);
  });

  it('when a connector definition carries a NUL character, applying it fails with a clear error', async () => {
    const definition = providerConnector(h.provider.url, { key: 'nul-help' });
    definition.fields[0]!.help = 'Portal\u0000';
    const result = validateDefinition(definition);
    const outcome = result.ok
      ? await h.applyConnector(result.definition).then(
          () => 'applied',
          (e: Error) => e.message,
        )
      : 'refused';
    expect(outcome).toMatch(/^refused$|NUL character/);
    expect(await h.runtime.store.connectors.get('nul-help')).toBeNull();
  });
});

/** Every path of a JSON value, such as ['token', 'url'] or ['fields', 1, 'key']. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => paths(child, [...prefix, key]))];
}

function mutate(definition: ConnectorDefinition, path: Array<string | number>, value: unknown, remove: boolean) {
  const copy = JSON.parse(JSON.stringify(definition)) as Record<string | number, unknown>;
  if (path.length === 0) return value;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (remove) delete target[last];
  else target[last] = value;
  return copy;
}

describe('mutated connector definitions', () => {
  const templateValue = fc.constantFrom(
    '{{__proto__}}',
    '{{token.constructor}}',
    'https://{{client_secret}}.evil.test/',
    'http://evil.test/',
    'https://evil.test/{{access_token}}',
    '{{test.a.b.c}}',
    '{{',
    'javascript:alert(1)',
  );

  it('are refused with issues, or applied whole and then connect clearly or fail clearly', async () => {
    const base = providerConnector(h.provider.url, { key: 'mutant' });
    const allPaths = paths(base);
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...allPaths),
        fc.oneof(hostileValue, templateValue),
        fc.boolean(),
        async (path, value, remove) => {
          const result = validateDefinition(mutate(base, path, value, remove));
          if (!result.ok) {
            expect(result.issues.length).toBeGreaterThan(0);
            for (const issue of result.issues) expect(issue.message).toMatch(/\S/);
            return;
          }
          applied++;
          await h.applyConnector(result.definition);
          expect((await h.runtime.store.connectors.get(result.definition.key))?.definition).toEqual(result.definition);
          const reason = await runRaw(CONNECTIONS_QUEUE, 'connect', {
            owner: 'mutants',
            connector: result.definition.key,
            fields: { client_id: 'nobody', client_secret: 'nobody-secret' },
          });
          expect(reason).toMatch(CLEAR_FAILURE);
        },
      ),
      { numRuns: 80 },
    );
    expect(applied).toBeGreaterThan(0);
    expect((await h.runtime.store.connections.list({ owner: 'mutants' })).items).toEqual([]);
  }, 120_000);
});

describe('plaintext connect jobs of an unknown connector', () => {
  it('have every string field sealed at pickup, whatever its name, before the job fails', async () => {
    const fields = { client_id: 'plain-id', region: 'plain-region-secret', tenant_hint: 'plain-tenant-secret', n: 3 };
    const job = await queues[CONNECTIONS_QUEUE]!.add('connect', { owner: 'unknown', connector: 'nope', fields });
    const reason = await runRaw(CONNECTIONS_QUEUE, 'connect', { owner: 'unknown', connector: 'nope', fields });
    expect(reason).toMatch(/^\[unknown_connector\] /);
    for (;;) {
      const state = await job.getState();
      if (state === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const stored = (await queues[CONNECTIONS_QUEUE]!.getJob(job.id as string))?.data.fields as Record<string, unknown>;
    for (const key of ['client_id', 'region', 'tenant_hint']) expect(stored[key]).toMatch(/^sealed:v3:/);
    expect(stored.n).toBe(3);
  });
});
