/**
 * The queues a worker process takes jobs from: connection management, and the call partitions named by
 * WORKER_CALL_PARTITIONS (every one by default). Each comes with its kind, which says what jobs it runs.
 */
import { CALLS_QUEUE, CONNECTIONS_QUEUE } from '../src/queue/names.js';
import type { Runtime } from '../src/runtime.js';

export interface ConsumedQueue {
  kind: typeof CONNECTIONS_QUEUE | typeof CALLS_QUEUE;
  queueName: string;
}

export function consumedQueues({ config, queues, callQueues }: Runtime): ConsumedQueue[] {
  const partitions = config.workerCallPartitions ?? callQueues.map((_, partition) => partition);
  const calls = partitions.map((partition): ConsumedQueue => {
    const queue = callQueues[partition];
    if (!queue) throw new Error(`WORKER_CALL_PARTITIONS names partition ${partition}, which does not exist`);
    return { kind: CALLS_QUEUE, queueName: queue.name };
  });
  return [{ kind: CONNECTIONS_QUEUE, queueName: queues.connections.name }, ...calls];
}
