/**
 * Tracing off, the default: the helpers run their functions and nothing else, the ports are not wrapped, jobs carry
 * no trace context, and a real worker process never loads the OpenTelemetry SDK.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueTelemetry } from '../../src/telemetry/bullmq.js';
import { instrumentCache, instrumentLock, instrumentStore } from '../../src/telemetry/instrument.js';
import { startTracing } from '../../src/telemetry/start.js';
import { activeTraceIds, annotateJob, inSpan, tracingOn } from '../../src/telemetry/tracing.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
});
afterAll(async () => {
  await h?.close();
});

const RECORDER = new URL('./fixtures/record-loads.mjs', import.meta.url).pathname;

/** The modules a worker process loaded until it took jobs, with `env` added to its environment. */
async function modulesLoadedByWorker(env: Record<string, string>): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'oauth-cc-loads-')), 'modules.txt');
  const child = await h.spawnWorker({ ...env, LOADED_MODULES_FILE: file, NODE_OPTIONS: `--import ${RECORDER}` });
  child.kill('SIGKILL');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

describe('tracing off', () => {
  it('runs what the helpers wrap, and wraps nothing', async () => {
    expect(tracingOn()).toBe(false);
    expect(await startTracing(null)).toBeNull();
    expect(await inSpan('unused', {}, async () => 42)).toBe(42);
    annotateJob({ 'oauth_cc.connector': 'x' });
    expect(activeTraceIds()).toEqual({});
    const { services, store } = h.runtime;
    expect(instrumentStore(store, h.config.databaseUrl)).toBe(store);
    expect(instrumentCache(services.cache)).toBe(services.cache);
    expect(instrumentLock(services.lock)).toBe(services.lock);
    expect(queueTelemetry()).toBeUndefined();
  });

  it('adds jobs without any trace context', async () => {
    const jobId = await h.client.enqueue('refresh', { owner: 'ws-off', connectionId: 'no-such-connection' });
    const job = await h.runtime.queues.connections.getJob(jobId);
    expect(job?.opts).not.toHaveProperty('telemetry');
  });

  it('never loads the SDK in a worker process; an endpoint makes the same process load it', {
    timeout: 90_000,
  }, async () => {
    const off = await modulesLoadedByWorker({});
    expect(off).toContain('/workers/start-worker.ts');
    expect(off).not.toMatch(/@opentelemetry\/(?:sdk-|exporter-|resources)/);
    const on = await modulesLoadedByWorker({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:7451' });
    expect(on).toContain('@opentelemetry/sdk-trace-node');
    expect(on).toContain('@opentelemetry/exporter-trace-otlp-proto');
  });
});
