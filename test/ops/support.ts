/** An operations server on a harness's runtime, on a free loopback port, with known credentials. */
import type { BoardCredentials } from '../../src/ops/auth.js';
import { Metrics } from '../../src/ops/metrics.js';
import { type OpsServer, startOpsServer } from '../../src/ops/server.js';
import type { Runtime } from '../../src/runtime.js';

export const BOARD_USER = 'ops';
export const BOARD_PASSWORD = 'board-pw-7Hq2';
export const BOARD_TOKEN = 'board-token-9Zx4';
export const CREDENTIALS: BoardCredentials = {
  basic: { user: BOARD_USER, password: BOARD_PASSWORD },
  token: BOARD_TOKEN,
  generated: false,
};
export const BASIC = `Basic ${Buffer.from(`${BOARD_USER}:${BOARD_PASSWORD}`).toString('base64')}`;

export async function startOps(runtime: Runtime, metrics = new Metrics({ processMetrics: false })) {
  const server: OpsServer = await startOpsServer(runtime, {
    metrics,
    credentials: CREDENTIALS,
    host: '127.0.0.1',
    port: 0,
  });
  const request = (path: string, init: RequestInit & { authorization?: string } = {}) => {
    const { authorization, ...rest } = init;
    return fetch(`${server.url}${path}`, {
      ...rest,
      headers: { ...(authorization ? { authorization } : {}), ...(rest.headers as Record<string, string>) },
    });
  };
  return { server, metrics, request };
}
