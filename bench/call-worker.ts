/**
 * The benchmark's "ours" worker: the real worker entry (`workers/worker.ts` does the same `runProcess` +
 * `startWorker`), configured from the environment, with the probe attached to the workers of the call partitions
 * and counting the store's operations.
 */
import { runProcess } from '../workers/process.js';
import { startWorker } from '../workers/start-worker.js';
import { attachProbe } from './call-probe.js';
import { countStoreOperations } from './store-counter.js';

await runProcess(async (runtime) => {
  const storeCounts = countStoreOperations(runtime.store);
  const worker = startWorker(runtime);
  const callQueues = new Set(runtime.callQueues.map((queue) => queue.name));
  const calls = worker.workers.filter((w) => callQueues.has(w.name));
  if (calls.length === 0) throw new Error(`no worker for the call queues ${[...callQueues].join(', ')}`);
  attachProbe(calls, storeCounts);
  return [{ name: 'worker', close: () => worker.close() }];
});
