/**
 * Scenario 1: a worker process is killed with SIGKILL in the middle of the load. Its active jobs keep their locks
 * until they expire (BullMQ's lockDuration, 30 s), then the other worker's stalled-job check (every 30 s) moves them
 * back to waiting and runs them again. Jobs are idempotent, so the re-runs leave the same end state.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordScenario } from '../support/report.js';
import { type ScenarioSystem, startScenario } from '../support/scenario.js';

let system: ScenarioSystem;

beforeAll(async () => {
  system = await startScenario();
});
afterAll(() => system?.close());

describe('a worker killed with SIGKILL mid-load', () => {
  it('when a worker dies, its active jobs are recovered as stalled and finish on the other worker, with nothing lost or doubled', async () => {
    const { load, workers, h } = system;
    await load.connectAccounts();
    await load.enqueueMixed();
    while ((await load.finishedCount()) < 500) await new Promise((resolve) => setTimeout(resolve, 50));
    const activeAtKill =
      (await h.runtime.queues.calls.getActiveCount()) + (await h.runtime.queues.connections.getActiveCount());
    const victim = workers[0]!;
    victim.kill('SIGKILL');
    await once(victim, 'exit');

    await load.waitUntilFinished(150_000);
    const audit = await load.audit();
    const extra: string[] = [];
    if (activeAtKill === 0) extra.push('no job was active when the worker was killed');
    if (audit.rerunCompleted === 0) extra.push('no job was recovered and re-run after the kill');
    const row = recordScenario('1. worker killed (SIGKILL)', audit, extra);
    expect(row.problems).toEqual([]);
    expect(audit.rerunCompleted).toBeGreaterThan(0);
  });
});
