import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime.js';
import { type Harness, startHarness } from '../support/harness.js';
import { startOps } from './support.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
});
afterAll(() => h?.close());

describe('probes', () => {
  it('when Redis and the store answer, /healthz and /readyz answer 200', async () => {
    const ops = await startOps(h.runtime);
    try {
      expect(await (await ops.request('/healthz')).json()).toEqual({ status: 'ok' });
      const ready = await ops.request('/readyz');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', redis: 'ok', store: 'ok' });
    } finally {
      await ops.server.close();
    }
  });

  it('when Redis, then the store, stop answering, /readyz answers 503 naming them while /healthz stays 200', async () => {
    const runtime = await createRuntime(h.config, createLogger({ level: 'silent' }));
    const ops = await startOps(runtime);
    try {
      runtime.redis.disconnect();
      const noRedis = await ops.request('/readyz');
      expect(noRedis.status).toBe(503);
      expect(await noRedis.json()).toEqual({ status: 'not ready', redis: 'unreachable', store: 'ok' });
      await runtime.store.close();
      expect(await (await ops.request('/readyz')).json()).toMatchObject({ redis: 'unreachable', store: 'unreachable' });
      expect((await ops.request('/healthz')).status).toBe(200);
    } finally {
      await ops.server.close();
      await runtime.close();
    }
  });
});
