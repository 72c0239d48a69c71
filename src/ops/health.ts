/**
 * Probes: `/healthz` says the process serves requests; `/readyz` says it can do its work, that is Redis and the
 * store both answer in time. Failures are named by dependency only: an error message could quote a URL with a
 * password in it.
 */
import type { FastifyInstance } from 'fastify';
import type { Cluster, Redis } from 'ioredis';
import type { Store } from '../store/port.js';

export interface ReadinessSources {
  redis: Redis | Cluster;
  store: Store;
  /** Longest wait for one dependency. @default 2000 */
  timeoutMs?: number;
}

type CheckResult = 'ok' | 'unreachable';

async function check(probe: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealth(app: FastifyInstance, { redis, store, timeoutMs = 2000 }: ReadinessSources): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const [redisState, storeState] = await Promise.all([
      check(() => redis.ping(), timeoutMs),
      check(() => store.ping(), timeoutMs),
    ]);
    const ready = redisState === 'ok' && storeState === 'ok';
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', redis: redisState, store: storeState });
  });
}
