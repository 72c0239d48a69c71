/**
 * Bull Board without credentials: EVERY route the board registers (its page, static assets and whole JSON API, read
 * and write) answers 401, found by listing the routes rather than by a hand-picked list, and no write happens.
 */
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_PATH, registerBoard } from '../../src/ops/board.js';
import { ConnectorSecretFields } from '../../src/ops/mask.js';
import { CREDENTIALS } from '../ops/support.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
let app: FastifyInstance;
let jobId: string;
const routes: RouteOptions[] = [];

beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
  jobId = (await h.runtime.queues.connections.add('test', { owner: 'o', connectionId: 'c' })).id as string;
  app = Fastify({ logger: false });
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  await registerBoard(app, {
    queues: Object.values(h.runtime.queues),
    credentials: CREDENTIALS,
    readOnly: false,
    secretFields: new ConnectorSecretFields(h.runtime.store),
    log: h.runtime.log,
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

/** A concrete URL for a route pattern: real queue and job, the rest arbitrary. */
function concrete(url: string): string {
  return url
    .replace(':queueName', 'connections')
    .replace(':jobId', jobId)
    .replace(':queueStatus', 'failed')
    .replace(/:[A-Za-z]+/g, 'x')
    .replace('*', 'index.js');
}

const WRONG = [
  undefined,
  `Basic ${Buffer.from(`${CREDENTIALS.basic?.user}:wrong`).toString('base64')}`,
  `Basic ${Buffer.from(`wrong:${CREDENTIALS.basic?.password}`).toString('base64')}`,
  'Bearer wrong-token',
  `Bearer ${CREDENTIALS.basic?.password}`,
  'Basic',
  'Digest x',
];

describe('the board without valid credentials', () => {
  it('answers 401 with a challenge on every route it registers, for every method, and changes nothing', async () => {
    const boardRoutes = routes.filter((route) => route.url.startsWith(BOARD_PATH));
    // The page, the static assets and the JSON API, reads and writes, are all there.
    expect(boardRoutes.some((route) => route.url.includes('/api/queues/:queueName/obliterate'))).toBe(true);
    expect(boardRoutes.some((route) => route.url.includes('/static/'))).toBe(true);
    expect(boardRoutes.length).toBeGreaterThan(30);
    let checked = 0;
    for (const route of boardRoutes) {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
      for (const method of methods) {
        for (const authorization of WRONG) {
          const response = await app.inject({
            method: method as 'GET',
            url: concrete(route.url),
            headers: authorization ? { authorization } : {},
            ...(method !== 'GET' && { payload: {} }),
          });
          expect(response.statusCode, `${method} ${route.url} with ${authorization}`).toBe(401);
          expect(response.headers['www-authenticate']).toMatch(/^Basic realm=/);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
    // No write went through: the job is still there and the queue runs.
    expect(await h.runtime.queues.connections.getJob(jobId)).toBeDefined();
    expect(await h.runtime.queues.connections.isPaused()).toBe(false);
  });

  it('with the right credentials the same API answers (the control case)', async () => {
    const basic = `Basic ${Buffer.from(`${CREDENTIALS.basic?.user}:${CREDENTIALS.basic?.password}`).toString('base64')}`;
    const response = await app.inject({
      method: 'GET',
      url: `${BOARD_PATH}/api/queues`,
      headers: { authorization: basic },
    });
    expect(response.statusCode).toBe(200);
  });
});
