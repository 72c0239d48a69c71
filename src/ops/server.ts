/**
 * The operations server: Bull Board at `/admin/queues` (authenticated), `/healthz`, `/readyz` and `/metrics`
 * (open, for probes and Prometheus; bind BOARD_HOST to a private interface). Used by `npm run board`, `npm start`
 * and the demo.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { Runtime } from '../runtime.js';
import type { BoardCredentials } from './auth.js';
import { BOARD_PATH, registerBoard } from './board.js';
import { registerHealth } from './health.js';
import { ConnectorSecretFields } from './mask.js';
import type { Metrics } from './metrics.js';

export interface OpsServerOptions {
  metrics: Metrics;
  credentials: BoardCredentials;
  /** @default config.boardHost */
  host?: string;
  /** 0 picks a free port. @default config.boardPort */
  port?: number;
}

export interface OpsServer {
  /** Such as http://127.0.0.1:3000 */
  url: string;
  boardUrl: string;
  close(): Promise<void>;
}

/** Health and metrics routes, shared by the operations server and a worker's probe server. */
function createProbeApp(runtime: Runtime, metrics: Metrics) {
  const { log, store, redis } = runtime;
  const app = Fastify({ logger: false });
  registerHealth(app, { redis, store });
  metrics.collectOnScrape({ queues: runtime.allQueues, store, log });
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', metrics.registry.contentType).send(await metrics.text()),
  );
  return app;
}

/** /healthz, /readyz and /metrics only (no board): what a scaled-out worker process serves with METRICS_PORT. */
export async function startProbeServer(
  runtime: Runtime,
  options: { metrics: Metrics; port: number; host?: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const app = createProbeApp(runtime, options.metrics);
  const url = await app.listen({ host: options.host ?? runtime.config.boardHost, port: options.port });
  runtime.log.info({ url }, 'probe server started');
  return { url, close: () => app.close() };
}

export async function startOpsServer(runtime: Runtime, options: OpsServerOptions): Promise<OpsServer> {
  const { config, log, store } = runtime;
  const { metrics } = options;
  const queues = runtime.allQueues;
  const app = createProbeApp(runtime, metrics);
  await registerBoard(app, {
    queues,
    credentials: options.credentials,
    readOnly: config.boardReadOnly,
    secretFields: new ConnectorSecretFields(store),
    log,
  });
  const stopWatching = await metrics.watchQueues({ queues, redisTarget: runtime.redisTarget, log });
  try {
    await app.listen({ host: options.host ?? config.boardHost, port: options.port ?? config.boardPort });
  } catch (error) {
    await stopWatching();
    throw error;
  }
  const { address, port, family } = app.server.address() as AddressInfo;
  const url = `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
  log.info({ url, board: `${url}${BOARD_PATH}`, readOnly: config.boardReadOnly }, 'operations server started');
  return {
    url,
    boardUrl: `${url}${BOARD_PATH}`,
    async close() {
      await app.close();
      await stopWatching();
    },
  };
}

/** What an operator needs to open the board; the password is shown only when it was generated for this run. */
export function loginHelp(server: Pick<OpsServer, 'boardUrl'>, credentials: BoardCredentials): string {
  const lines = [`Bull Board: ${server.boardUrl}`];
  if (credentials.generated && credentials.basic) {
    lines.push(
      `  user: ${credentials.basic.user}`,
      `  password: ${credentials.basic.password}  (generated for this run;`,
    );
    lines.push('  set BOARD_USER and BOARD_PASSWORD to choose your own)');
  } else if (credentials.basic) {
    lines.push('  log in with BOARD_USER and BOARD_PASSWORD');
  } else {
    lines.push('  send Authorization: Bearer <BOARD_TOKEN>');
  }
  return `${lines.join('\n')}\n`;
}
