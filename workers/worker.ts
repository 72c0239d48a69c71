/**
 * `npm run worker`: consumes the `connections` and `calls` queues. Scale out by running more of these. With
 * METRICS_PORT set it also serves /healthz, /readyz and /metrics for this process.
 */
import { Metrics } from '../src/ops/metrics.js';
import { startProbeServer } from '../src/ops/server.js';
import { runProcess } from './process.js';
import { startWorker } from './start-worker.js';

const metrics = new Metrics();

await runProcess(
  async (runtime) => {
    const worker = startWorker(runtime);
    metrics.observeWorkers(worker.workers);
    const port = runtime.config.metricsPort;
    const probes = port === undefined ? null : await startProbeServer(runtime, { metrics, port });
    return [
      { name: 'worker', close: () => worker.close() },
      ...(probes ? [{ name: 'probes', close: () => probes.close() }] : []),
    ];
  },
  { observer: metrics.observer },
);
