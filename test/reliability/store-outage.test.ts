/**
 * Scenario 3: the store (a PostgreSQL cluster of this test, created with initdb) is stopped in the middle of the load
 * and started again 10 seconds later. Store errors are transient: the affected jobs retry with backoff and complete
 * once it is back.
 *
 * The retry budget must outlast the outage: 20 attempts from 100 ms doubling (with full jitter) spend well over
 * 10 seconds. With the defaults (5 attempts from 1 s) the budget is at most 15 s and 7.5 s on average, so a longer
 * outage fails jobs: see docs/RELIABILITY.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordScenario } from '../support/report.js';
import { type ScenarioSystem, sleep, startScenario } from '../support/scenario.js';
import { type ManagedServer, startPostgresServer } from '../support/servers.js';

let postgres: ManagedServer;
let system: ScenarioSystem;

beforeAll(async () => {
  postgres = await startPostgresServer();
  system = await startScenario({ DATABASE_URL: postgres.url, JOB_ATTEMPTS: '20', JOB_BACKOFF_MS: '100' });
});
afterAll(async () => {
  await system?.close();
  await postgres?.close();
});

describe('the store is unreachable for 10 seconds', () => {
  it('when PostgreSQL stops mid-load and returns 10 s later, the affected jobs retry and complete', async () => {
    const { load } = system;
    await load.connectAccounts();
    await load.enqueueMixed();
    while ((await load.finishedCount()) < 400) await sleep(50);
    await postgres.stop();
    const finishedWhenStopped = await load.finishedCount();
    await sleep(10_000);
    await postgres.start();

    await load.waitUntilFinished(150_000);
    const audit = await load.audit();
    const extra: string[] = [];
    if (finishedWhenStopped === load.tracked.length) extra.push('the load was over before the store stopped');
    if (audit.rerunCompleted === 0) extra.push('no job was retried: the outage did not reach any job');
    const row = recordScenario('3. store down 10 s', audit, extra);
    expect(row.problems).toEqual([]);
  });
});
