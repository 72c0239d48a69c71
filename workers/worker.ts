/** `npm run worker`: consumes the `connections` and `calls` queues. Scale out by running more of these. */
import { runProcess } from './process.js';
import { startWorker } from './start-worker.js';

await runProcess(async (runtime) => {
  const worker = startWorker(runtime);
  return [{ name: 'worker', close: () => worker.close() }];
});
