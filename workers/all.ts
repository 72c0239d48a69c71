/**
 * `npm start`: worker, scheduler and operations server in one process, for a single machine. Scale out with
 * `npm run worker`, `npm run scheduler` and `npm run board` instead.
 */
import { boardCredentials } from '../src/ops/auth.js';
import { Metrics } from '../src/ops/metrics.js';
import { loginHelp, startOpsServer } from '../src/ops/server.js';
import { startScheduler } from '../src/scheduler/scheduler.js';
import { runProcess } from './process.js';
import { storeBanner } from './start-problems.js';
import { startWorker } from './start-worker.js';

const metrics = new Metrics();

await runProcess(
  async (runtime) => {
    // Checked first: in production, missing board credentials stop the process before it takes any job.
    const credentials = boardCredentials(runtime.config);
    const worker = startWorker(runtime);
    metrics.observeWorkers(worker.workers);
    const scheduler = startScheduler(runtime);
    const server = await startOpsServer(runtime, { metrics, credentials });
    process.stdout.write(`${loginHelp(server, credentials)}${storeBanner(runtime.config.databaseUrl)}\n`);
    // Closed in this order: stop scheduling, let running jobs finish, then stop answering probes.
    return [
      { name: 'scheduler', close: () => scheduler.close() },
      { name: 'worker', close: () => worker.close() },
      { name: 'board', close: () => server.close() },
    ];
  },
  { observer: metrics.observer },
);
