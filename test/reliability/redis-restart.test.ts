/**
 * Scenario 2: the queues' Redis (a server of this test, with append-only persistence) stops in the middle of the
 * load and starts again a few seconds later. Workers reconnect and finish the load; a producer gets an error at once
 * while Redis is down (its connection does not queue commands offline) and succeeds once Redis is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordScenario } from '../support/report.js';
import { type ScenarioSystem, sleep, startScenario } from '../support/scenario.js';
import { type ManagedServer, startRedisServer } from '../support/servers.js';

let redis: ManagedServer;
let system: ScenarioSystem;

beforeAll(async () => {
  redis = await startRedisServer();
  system = await startScenario({ REDIS_URL: redis.url });
});
afterAll(async () => {
  await system?.close();
  await redis?.close();
});

describe('Redis restarts during the load', () => {
  it('when Redis stops for a few seconds, producers fail fast, and workers reconnect and finish every job', async () => {
    const { load } = system;
    await load.connectAccounts();
    await load.enqueueMixed();
    while ((await load.finishedCount()) < 600) await sleep(50);
    await redis.stop();

    const extra: string[] = [];
    const account = load.accounts.find((a) => a.group === 'renew')!;
    const started = Date.now();
    const whileDown = await load.enqueue([{ name: 'call', account }]).then(
      () => null,
      (error: Error) => error,
    );
    const failedAfterMs = Date.now() - started;
    if (!whileDown) extra.push('a producer could enqueue while Redis was down');
    else if (failedAfterMs > 3_000) extra.push(`the producer's error took ${failedAfterMs} ms`);
    await sleep(4_000);
    await redis.start();

    // The producer's connection reconnects on its own (at most 2 s between attempts).
    let enqueuedAfter = false;
    for (let i = 0; i < 50 && !enqueuedAfter; i++) {
      enqueuedAfter = await load.enqueue([{ name: 'call', account }]).then(
        () => true,
        () => sleep(200).then(() => false),
      );
    }
    if (!enqueuedAfter) extra.push('the producer could not enqueue after Redis came back');

    await load.waitUntilFinished(120_000);
    const audit = await load.audit();
    const row = recordScenario('2. Redis restart', audit, extra);
    expect(row.problems).toEqual([]);
    expect(whileDown?.message).toMatch(/writeable|offline|closed|ECONNREFUSED/i);
  });
});
