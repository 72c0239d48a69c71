/**
 * The benchmark's "ours" worker: the real worker entry (`workers/worker.ts` does the same `runProcess` +
 * `startWorker`), configured from the environment, with the probe attached to the `calls` worker.
 */
import { CALLS_QUEUE } from '../src/queue/names.js';
import { runProcess } from '../workers/process.js';
import { startWorker } from '../workers/start-worker.js';
import { attachProbe } from './call-probe.js';

await runProcess(async (runtime) => {
  const worker = startWorker(runtime);
  const calls = worker.workers.find((w) => w.name === CALLS_QUEUE);
  if (!calls) throw new Error(`no worker for queue ${CALLS_QUEUE}`);
  attachProbe(calls);
  return [{ name: 'worker', close: () => worker.close() }];
});
