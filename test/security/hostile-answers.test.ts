/**
 * Hostile remote parties against the real worker process (started as `npm run worker` starts it), real Redis and
 * PostgreSQL, and the local test provider playing the hostile server: huge error answers, a provider error code
 * that imitates ours, compressed echoes, and transport headers a caller or definition tries to set.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorDefinition } from '../../src/definitions/schema.js';
import { formatIssue, validateDefinition } from '../../src/definitions/validate.js';
import { providerConnector } from '../support/connectors.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let bystander: string;
const VICTIM_SECRET = 'Victim-Secret-0123456789abcdef';
const BYSTANDER_SECRET = 'Bystander-Secret-0123456789';
const MIB = 1024 * 1024;

/**
 * Bounds, each at least five times what the worker needs (a hostile job fails within about 2 s with its retry, a
 * call completes within about 0.3 s on a loaded machine). Before excerpts were linear, a 64 KiB page alone froze
 * the event loop for about 10 s: every call queued behind it.
 */
const HOSTILE_JOB_BOUND_MS = 15_000;
const CALL_BOUND_MS = 3_000;

beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false, env: { JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '10' } });
  await h.applyConnector(providerConnector(h.provider.url));
  h.provider.registerClient({ clientId: 'victim', clientSecret: VICTIM_SECRET });
  h.provider.registerClient({ clientId: 'bystander', clientSecret: BYSTANDER_SECRET });
  await h.spawnWorker();
  const connected = await h.client.connect({
    owner: 'bystander',
    connector: 'acme',
    fields: { client_id: 'bystander', client_secret: BYSTANDER_SECRET },
  });
  bystander = connected.connectionId;
}, 120_000);
afterEach(() => h.provider.reset());
afterAll(async () => {
  await h?.close();
});

/** Every secret a hostile answer may echo: both clients' secrets and every token the provider issued. */
const secrets = () => [VICTIM_SECRET, BYSTANDER_SECRET, ...h.provider.issuedTokens()];

function expectNoSecret(text: string): void {
  for (const secret of secrets()) expect(text).not.toContain(secret);
}

async function connectVictim(owner: string): Promise<string> {
  const fields = { client_id: 'victim', client_secret: VICTIM_SECRET };
  return (await h.client.connect({ owner, connector: 'acme', fields })).connectionId;
}

const callBystander = () => h.client.call({ owner: 'bystander', connectionId: bystander, url: 'echo' });

/**
 * Runs `work` while calls on the bystander connection keep flowing through the same worker. Returns what `work`
 * settled with (its result, or the error's message), how long it took, and each call's latency.
 */
async function whileCallsFlow(work: () => Promise<unknown>) {
  let stopped = false;
  const latencies: number[] = [];
  const stream = (async () => {
    while (!stopped) {
      const started = Date.now();
      const answer = await callBystander();
      expect(answer.status).toBe(200);
      latencies.push(Date.now() - started);
    }
  })();
  const started = Date.now();
  const outcome = await work().then(
    (value) => JSON.stringify(value),
    (error: Error) => error.message,
  );
  const elapsedMs = Date.now() - started;
  stopped = true;
  await stream;
  return { outcome, elapsedMs, latencies };
}

describe('a 1 MiB hostile answer', () => {
  const forms = ['description', 'html'] as const;
  const jobs = {
    /** connect: the token endpoint answers. */
    token: async (owner: string) => connectVictim(owner),
    /** refresh of a connection: the token endpoint answers (this connector renews with client credentials). */
    refresh: async (owner: string, connectionId: string) => h.client.refresh({ owner, connectionId, force: true }),
    /** revoke: the revocation endpoint answers. */
    revoke: async (owner: string, connectionId: string) => h.client.revoke({ owner, connectionId }),
    /** test: the test API answers (1 MiB less a little: the test API's answer limit is 1 MiB). */
    test: async (owner: string, connectionId: string) => h.client.test({ owner, connectionId }),
  };

  for (const [name, job] of Object.entries(jobs)) {
    for (const form of forms) {
      it(`from the ${name} step (${form}) ends its job quickly, secret-free, while calls of another connection flow`, async () => {
        const owner = `${name}-${form}`;
        const connectionId = name === 'token' ? '' : await connectVictim(owner);
        const endpoint = name === 'refresh' ? 'token' : (name as 'token' | 'revoke' | 'test');
        const before = { ...h.provider.stats };
        h.provider.quirk({
          hostileAnswer: { endpoints: [endpoint], form, bytes: name === 'test' ? MIB - 4096 : MIB, echo: secrets() },
        });

        const { outcome, elapsedMs, latencies } = await whileCallsFlow(() => job(owner, connectionId));

        // The hostile server was asked, and its answer ended the job (failed, or revoke/test reporting it).
        const asked =
          endpoint === 'token'
            ? h.provider.stats.tokenRequests - before.tokenRequests
            : endpoint === 'test'
              ? h.provider.stats.testRequests - before.testRequests
              : 1;
        expect(asked).toBeGreaterThanOrEqual(1);
        expect(outcome).toMatch(
          /^\[(invalid_request|server_error|test_failed)\] |"providerRevoked":false|"ok":false|gave up/,
        );
        expect(elapsedMs).toBeLessThan(HOSTILE_JOB_BOUND_MS);
        expect(outcome.length).toBeLessThan(1000);
        expectNoSecret(outcome);
        expect(latencies.length).toBeGreaterThan(0);
        expect(Math.max(...latencies)).toBeLessThan(CALL_BOUND_MS);
      }, 60_000);
    }
  }
});

describe('a provider error code that imitates ours', () => {
  it('store_unavailable from the token endpoint fails the connect at once, as the provider’s words, never retried', async () => {
    h.provider.quirk({ tokenError: 'store_unavailable' });
    const reason = await connectVictim('imitation').then(
      () => 'completed',
      (error: Error) => error.message,
    );
    expect(reason).toBe(
      '[token_endpoint_error] token endpoint answered 400 token_endpoint_error (provider error store_unavailable): ' +
        'the provider says store_unavailable',
    );
    expect(h.provider.stats.tokenRequests).toBe(1);
  });

  it('store_unavailable in a 200 answer fails a refresh permanently and puts the connection in error', async () => {
    const connectionId = await connectVictim('imitation-refresh');
    const before = h.provider.stats.tokenRequests;
    h.provider.quirk({ okWithErrorBody: 'store_unavailable' });
    const reason = await h.client.refresh({ owner: 'imitation-refresh', connectionId, force: true }).then(
      () => 'completed',
      (error: Error) => error.message,
    );
    expect(reason).toMatch(/^\[token_endpoint_error\] .*\(provider error store_unavailable\)/);
    expect(reason).not.toMatch(/gave up/);
    expect(h.provider.stats.tokenRequests - before).toBe(1);
    const stored = await h.runtime.store.connections.get(connectionId);
    expect(stored).toMatchObject({ status: 'error', lastError: { code: 'token_endpoint_error' } });
  });
});

describe('compressed answers', () => {
  it('when a caller asks for gzip, the API is asked for identity and the echoed token comes back redacted', async () => {
    const answer = await h.client.call({
      owner: 'bystander',
      connectionId: bystander,
      url: 'echo',
      headers: { 'Accept-Encoding': 'gzip' },
    });
    const body = answer.body as { headers: Record<string, string> };
    expect(body.headers['accept-encoding']).toBe('identity');
    expect(body.headers.authorization).toBe('Bearer [redacted]');
    expectNoSecret(JSON.stringify(answer));
  });

  it.each(['gzip', 'deflate', 'br'])(
    'when the API compresses with %s unasked, the answer is decoded before redaction',
    async (coding) => {
      h.provider.quirk({ compressAnswers: coding });
      const answer = await callBystander();
      const body = answer.body as { headers: Record<string, string> };
      expect(body.headers.authorization).toBe('Bearer [redacted]');
      expect(answer.headers['content-encoding']).toBeUndefined();
      expectNoSecret(JSON.stringify(answer));
    },
  );

  it('when the API spells the echoed token in JSON escapes, the parsed answer holds it redacted', async () => {
    h.provider.quirk({ escapeAnswers: true });
    const answer = await callBystander();
    const body = answer.body as { headers: Record<string, string> };
    // The escapes were real: the answer parsed to the same echo, letters and all.
    expect(body.headers['accept-encoding']).toBe('identity');
    expect(body.headers.authorization).toBe('Bearer [redacted]');
    expectNoSecret(JSON.stringify(answer));
  });

  it('when the API quotes the request URL, the token it carried percent-encoded comes back redacted', async () => {
    const definition = providerConnector(h.provider.url, { key: 'acme-query' });
    definition.requestDefaults = { ...definition.requestDefaults, query: { access_token: '{{access_token}}' } };
    await h.applyConnector(definition);
    h.provider.quirk({ b64Tokens: true });
    const fields = { client_id: 'victim', client_secret: VICTIM_SECRET };
    const { connectionId } = await h.client.connect({ owner: 'quoted', connector: 'acme-query', fields });
    const token = h.provider.issuedTokens().at(-1) ?? '';
    // A token a URL must encode: in the query it travels as %2B, %2F, %7E and %3D, never as itself.
    expect(token).toMatch(/\+\/~.*==$/);
    h.provider.quirk({ echoRawUrl: true });

    const answer = await h.client.call({ owner: 'quoted', connectionId, url: 'echo' });

    expect(answer.body).toBe('GET /api/echo?access_token=[redacted]');
    expect(answer.headers['x-request-url']).toBe('[redacted]');
    const shown = JSON.stringify(answer);
    for (const form of [token, encodeURIComponent(token), new URLSearchParams({ t: token }).toString().slice(2)]) {
      expect(shown).not.toContain(form);
    }
    expectNoSecret(shown);
  });

  it('when the API uses a coding that cannot be decoded, the call fails instead of passing it on unchecked', async () => {
    h.provider.quirk({ compressAnswers: 'x-unknown' });
    const reason = await callBystander().then(
      () => 'completed',
      (error: Error) => error.message,
    );
    expect(reason).toMatch(/^\[undecodable_response\] GET .*content coding "x-unknown"/);
    expectNoSecret(reason);
    expect(h.provider.stats.apiRequests).toBe(1);
  });
});

describe('secrets echoed into the values a connection is named after', () => {
  it('when the test API puts the token in the name it answers, the connection is named without it and keeps no copy', async () => {
    h.provider.quirk({ meEchoesToken: true });
    const fields = { client_id: 'victim', client_secret: VICTIM_SECRET };
    const result = await h.client.connect({ owner: 'echoed-name', connector: 'acme', fields });
    const token = h.provider.issuedTokens().at(-1) ?? '';

    expect(result.name).toBe("'s Account");
    const stored = await h.runtime.store.connections.get(result.connectionId);
    expect(stored?.name).toBe("'s Account");
    expect(stored?.testValues).toEqual({ account_id: 'victim' });
    expect(JSON.stringify([result, stored?.testValues, stored?.name, stored?.uniqueId])).not.toContain(token);
  });

  it('when the token endpoint sends the client secret in a field the definition names the connection after, it is left out', async () => {
    await h.applyConnector(
      providerConnector(h.provider.url, { key: 'acme-instance', connectionName: 'at {{token.instance_name}}' }),
    );
    h.provider.quirk({ tokenEchoesSecret: true });
    const fields = { client_id: 'victim', client_secret: VICTIM_SECRET };
    const result = await h.client.connect({ owner: 'echoed-secret', connector: 'acme-instance', fields });

    expect(result.name).toBe('at');
    const stored = await h.runtime.store.connections.get(result.connectionId);
    expect(stored?.tokenMeta).not.toHaveProperty('instance_name');
    expect(stored?.tokenMeta).toHaveProperty('instance_url', h.provider.url);
    expectNoSecret(JSON.stringify([result, stored?.tokenMeta, stored?.name]));
  });

  it('when the only value the unique identifier reads holds the token, the connect fails saying so and stores nothing', async () => {
    await h.applyConnector(
      providerConnector(h.provider.url, { key: 'acme-named-id', uniqueIdentifier: '{{test.name}}' }),
    );
    h.provider.quirk({ meEchoesToken: true });
    const fields = { client_id: 'victim', client_secret: VICTIM_SECRET };
    const reason = await h.client.connect({ owner: 'echoed-id', connector: 'acme-named-id', fields }).then(
      () => 'completed',
      (error: Error) => error.message,
    );

    expect(reason).toMatch(/^\[empty_unique_identifier\] .*a value holding a secret of the connection is never used/);
    expect((await h.runtime.store.connections.list({ owner: 'echoed-id' })).items).toEqual([]);
    expectNoSecret(reason);
  });
});

describe('transport headers', () => {
  const refused = {
    Host: 'internal.example',
    'Content-Length': '0',
    'Transfer-Encoding': 'chunked',
    Connection: 'close',
    'Keep-Alive': 'timeout=5',
    TE: 'trailers',
    Upgrade: 'h2c',
    'Proxy-Authorization': 'Basic eDp5',
  };

  it.each(Object.entries(refused))(
    'a call with %s fails at once naming the header, and nothing is sent',
    async (name, value) => {
      const reason = await h.client
        .call({ owner: 'bystander', connectionId: bystander, url: 'echo', headers: { [name]: value } })
        .then(
          () => 'completed',
          (error: Error) => error.message,
        );
      expect(reason).toBe(
        `[invalid_header] headers.${name}: host, content-length, proxy-* and hop-by-hop headers are set by the transport; remove it`,
      );
      expect(h.provider.stats.apiRequests).toBe(0);
    },
  );

  it.each([
    ['requestDefaults', 'Host', 'requestDefaults.headers.Host'],
    ['token', 'Transfer-Encoding', 'token.headers["Transfer-Encoding"]'],
    ['test', 'Content-Length', 'test.headers["Content-Length"]'],
    ['requestDefaults', 'Proxy-Connection', 'requestDefaults.headers["Proxy-Connection"]'],
  ] as const)('a definition setting %s.headers.%s is refused, naming the header', (place, name, path) => {
    const definition = providerConnector(h.provider.url) as ConnectorDefinition & Record<string, unknown>;
    const target = definition[place] as { headers?: Record<string, string> };
    target.headers = { ...target.headers, [name]: 'x' };
    const result = validateDefinition(definition);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((issue) => formatIssue(issue))).toContain(
      `${path}: host, content-length, proxy-* and hop-by-hop headers are set by the transport; remove this header`,
    );
  });
});

describe('an upstream that drips one byte at a time', () => {
  it('ends each attempt of a call at its timeoutMs as a whole, though no pause is ever as long', async () => {
    const TIMEOUT_MS = 1_000;
    const before = h.provider.stats.apiRequests;
    const started = Date.now();
    const reason = await h.client
      .call({ owner: 'bystander', connectionId: bystander, url: 'drip?every=200', timeoutMs: TIMEOUT_MS })
      .then(
        () => 'completed',
        (error: Error) => error.message,
      );
    const elapsedMs = Date.now() - started;
    expect(reason).toMatch(/^\[timeout\] GET http:\/\/127\.0\.0\.1:\d+\/api\/drip: no answer within 1000 ms/);
    // JOB_ATTEMPTS=2: two attempts of about a second each. Before, each byte restarted the body timeout: endless.
    expect(h.provider.stats.apiRequests - before).toBe(2);
    expect(elapsedMs).toBeLessThan(5 * 2 * TIMEOUT_MS + 5_000);
  }, 60_000);
});
