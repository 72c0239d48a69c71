/** The setup every fault scenario shares: a system without in-process worker, two worker processes, the load. */
import { type ChildProcess, spawn } from 'node:child_process';
import { providerConnector } from './connectors.js';
import { type Harness, startHarness } from './harness.js';
import { MixedLoad } from './load.js';

export interface ScenarioSystem {
  h: Harness;
  workers: ChildProcess[];
  load: MixedLoad;
  close(): Promise<void>;
}

/**
 * Settings of the scenarios: finished jobs are kept (the audit reads every one of them), and transient failures are
 * retried long enough to outlast a 10-second outage (8 attempts, backoff from 500 ms doubling, with jitter).
 */
export const SCENARIO_ENV: Record<string, string> = {
  JOB_RETENTION_COUNT: '100000',
  JOB_ATTEMPTS: '8',
  JOB_BACKOFF_MS: '500',
  WORKER_CONCURRENCY_CONNECTIONS: '20',
  WORKER_CONCURRENCY_CALLS: '50',
};

export async function startScenario(env: Record<string, string> = {}, workerCount = 2): Promise<ScenarioSystem> {
  const h = await startHarness({ inProcessWorker: false, env: { ...SCENARIO_ENV, ...env } });
  await h.applyConnector(providerConnector(h.provider.url));
  const workers = await Promise.all(Array.from({ length: workerCount }, () => h.spawnWorker()));
  const load = new MixedLoad(h);
  return {
    h,
    workers,
    load,
    async close() {
      await load.close();
      await h.close();
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `npm run scheduler` in a child process with the system's environment; resolves once it has started. */
export async function spawnScheduler(h: Harness, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/scheduler.ts'], {
    env: { ...process.env, ...h.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      h.logs.push(String(chunk));
      if (String(chunk).includes('scheduler started')) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => h.logs.push(String(chunk)));
    child.once('exit', (code) => reject(new Error(`scheduler exited with ${code}`)));
  });
  return child;
}
