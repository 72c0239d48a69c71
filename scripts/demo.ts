/**
 * `npm run demo`: the whole lifecycle of one connection, against a local OAuth provider, on this machine's Redis
 * and PostgreSQL (or REDIS_URL / DATABASE_URL). It starts the local test provider, applies a demo connector, runs
 * a worker and the board in this process, and walks connect → test → call → refresh → revoke with the SDK.
 *
 * Its queues and tables are its own (prefix `oauth-cc-demo`, schema `oauth_cc_demo`), so it never touches real
 * work. In a terminal the board stays up until Ctrl-C; otherwise (CI, pipes) the demo exits when done, or at
 * once with `--exit`.
 */
import type { ConnectorDefinition } from '../src/definitions/schema.js';
import { createLogger } from '../src/log.js';
import { boardCredentials } from '../src/ops/auth.js';
import { Metrics } from '../src/ops/metrics.js';
import { loginHelp, type OpsServer, startOpsServer } from '../src/ops/server.js';
import { createClient } from '../src/queue/client.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { KeyRing } from '../src/secrets/keyring.js';
import { startProvider, type TestProvider } from '../test/support/provider.js';
import { startWorker } from '../workers/start-worker.js';
import { demoConfig, say, step, summarize } from './demo-output.js';

const OWNER = 'demo-workspace';
const CLIENT_ID = 'demo-client';

/** A connector as an integration author would write it; see docs/connectors.md. */
function demoConnector(providerUrl: string): ConnectorDefinition {
  return {
    key: 'demo-crm',
    name: 'Demo CRM',
    fields: [
      { key: 'client_id', label: 'Client ID', type: 'text', required: true },
      { key: 'client_secret', label: 'Client Secret', type: 'secret', required: true },
    ],
    token: { url: `${providerUrl}/oauth/token`, clientAuth: 'basic', scopes: ['contacts.read'] },
    revoke: { url: `${providerUrl}/oauth/revoke` },
    test: { method: 'GET', url: `${providerUrl}/me` },
    connectionName: "{{test.name}}'s Account",
    uniqueIdentifier: '{{test.account_id}}',
    allowedUrls: [`${providerUrl}/api/`],
    requestDefaults: { headers: { Authorization: 'Bearer {{access_token}}' } },
  };
}

async function startBoard(runtime: Runtime, metrics: Metrics) {
  const credentials = boardCredentials(runtime.config);
  let server: OpsServer;
  try {
    server = await startOpsServer(runtime, { metrics, credentials });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    // `npm start` may already hold BOARD_PORT: any free port will do for a demo.
    server = await startOpsServer(runtime, { metrics, credentials, port: 0 });
  }
  return { server, credentials };
}

async function walkThrough(runtime: Runtime, provider: TestProvider) {
  const client = createClient({
    redisUrl: runtime.config.redisUrl,
    prefix: runtime.config.queuePrefix,
    // As a producer would: with the workers' public key only.
    transportPublicKey: runtime.services.transportKeys?.publicKey,
    timeoutMs: 30_000,
  });
  try {
    const clientSecret = `demo-secret-${KeyRing.generateKey('x').slice(2, 18)}`;
    provider.registerClient({
      clientId: CLIENT_ID,
      clientSecret,
      lifetimeSeconds: 3600,
      account: { account_id: 'acct-42', name: 'Ada Lovelace', email: 'ada@example.com' },
    });
    const connected = await step(1, 'connect', 'a workspace connects its Demo CRM account', () =>
      client.connect({
        owner: OWNER,
        connector: 'demo-crm',
        fields: { client_id: CLIENT_ID, client_secret: clientSecret },
      }),
    );
    const connectionId = connected.connectionId;
    await step(2, 'test', "check the connection's credentials against the test API", () =>
      client.test({ owner: OWNER, connectionId }),
    );
    await step(3, 'call', 'call the API with the connection (the worker adds the token)', () =>
      client.call({ owner: OWNER, connectionId, url: 'contacts', query: { limit: 2 } }),
    );
    await step(4, 'refresh', 'renew the access token now (normally the scheduler does this before expiry)', () =>
      client.refresh({ owner: OWNER, connectionId, force: true }),
    );
    await step(5, 'revoke', 'disconnect: the token is revoked at the provider', () =>
      client.revoke({ owner: OWNER, connectionId }),
    );
    await step(
      6,
      'call',
      'a call on the revoked connection is refused',
      () => client.call({ owner: OWNER, connectionId, url: 'contacts' }),
      { expectFailure: true },
    );
    return [clientSecret, ...provider.issuedTokens()];
  } finally {
    await client.close();
  }
}

async function main() {
  const exitWhenDone = process.argv.includes('--exit') || !process.stdout.isTTY;
  const config = demoConfig();
  const log = createLogger({ level: config.logLevel });
  const metrics = new Metrics();
  const provider = await startProvider();
  const runtime = await createRuntime(config, log, { observer: metrics.observer });
  const definition = demoConnector(provider.url);
  const { version } = await runtime.services.cache.applyConnector(definition);
  const worker = startWorker(runtime);
  metrics.observeWorkers(worker.workers);
  const { server, credentials } = await startBoard(runtime, metrics);

  const stop = async () => {
    await worker.close(2_000);
    await server.close();
    await runtime.close();
    await provider.close();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));

  say(`\noauth-cc demo: one connection's whole life\n`);
  say(`  provider   ${provider.url} (the local test provider)\n`);
  say(`  connector  ${definition.key} applied (version ${version})\n`);
  say(`  queues     prefix "${config.queuePrefix}" on ${new URL(config.redisUrl).host}\n`);
  say(loginHelp(server, credentials).replace(/^(?=.)/gm, '  '));
  const secrets = await walkThrough(runtime, provider);
  say(summarize(secrets));
  if (exitWhenDone) {
    await stop();
    // The worker's blocking Redis connections are left to process exit, as in every entry point.
    process.exit(0);
  }
  say(`\nThe jobs are on the board: ${server.boardUrl}  (Ctrl-C to stop)\n`);
}

await main();
