/**
 * `npm run scheduler`: the safety-net sweep of token renewal on a cron (SCHEDULER_CRON). Run two or more for
 * availability: a cluster lock lets one of them sweep per tick.
 */
import { startScheduler } from '../src/scheduler/scheduler.js';
import { runProcess } from './process.js';

await runProcess(async (runtime) => {
  const scheduler = startScheduler(runtime);
  return [{ name: 'scheduler', close: () => scheduler.close() }];
});
