/**
 * `npm run board`: the operations server alone — Bull Board at /admin/queues, /healthz, /readyz, /metrics. It runs
 * no jobs; job counts come from the queues' events, so one board sees every worker process.
 */
import { boardCredentials } from '../src/ops/auth.js';
import { Metrics } from '../src/ops/metrics.js';
import { loginHelp, startOpsServer } from '../src/ops/server.js';
import { runProcess } from './process.js';

await runProcess(async (runtime) => {
  const credentials = boardCredentials(runtime.config);
  const server = await startOpsServer(runtime, { metrics: new Metrics(), credentials });
  process.stdout.write(loginHelp(server, credentials));
  return [{ name: 'board', close: () => server.close() }];
});
