/**
 * Scenario 5: two scheduler processes sweep every second while the mixed load runs; one of them is killed with
 * SIGKILL and a new one started. Short-lived tokens (10 s, renewed every 5 s) are renewed by the workers' own delayed
 * jobs, and for half of the connections those jobs keep getting lost, so only the sweeps renew them. Renewals must
 * neither stop (every token still valid at the end, renewed about every 5 s) nor double (one token request per
 * renewal).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RefreshResult } from '../../src/domain/use-cases.js';
import { recordScenario } from '../support/report.js';
import { type ScenarioSystem, sleep, spawnScheduler, startScenario } from '../support/scenario.js';

const LIFETIME_SECONDS = 10;
const WINDOW_MS = 30_000;
const SCHEDULER_ENV = { SCHEDULER_CRON: '* * * * * *', SCHEDULER_SPREAD_SECONDS: '1' };
let system: ScenarioSystem;
const schedulers: ChildProcess[] = [];

beforeAll(async () => {
  system = await startScenario();
});
afterAll(async () => {
  for (const child of schedulers) if (child.exitCode === null) child.kill('SIGKILL');
  await system?.close();
});

describe('two schedulers and a scheduler restart', () => {
  it('when a scheduler dies and another starts, renewals neither stop nor double', async () => {
    const { h, load } = system;
    const queue = h.runtime.queues.connections;
    const renewing: Array<{ clientId: string; connectionId: string; orphan: boolean }> = [];
    for (let i = 0; i < 10; i++) {
      const clientId = `short-${i}`;
      h.provider.registerClient({ clientId, clientSecret: 'short-secret', lifetimeSeconds: LIFETIME_SECONDS });
      const { connectionId } = await h.client.connect({
        owner: 'renewals',
        connector: 'acme',
        fields: { client_id: clientId, client_secret: 'short-secret' },
      });
      renewing.push({ clientId, connectionId, orphan: i % 2 === 0 });
    }
    const orphans = new Set(renewing.filter((r) => r.orphan).map((r) => r.connectionId));
    const baseline = new Map(h.provider.stats.tokenRequestsByClient);

    // Loses the orphans' precisely scheduled renewals (due in more than 2 s); what the sweeps add (due sooner) stays.
    let losing = true;
    const loser = (async () => {
      while (losing) {
        const delayed = await queue.getDelayed();
        const lost = delayed.filter(
          (job) =>
            job.name === 'refresh' &&
            orphans.has(job.data.connectionId) &&
            job.timestamp + job.delay > Date.now() + 2000,
        );
        await Promise.all(lost.map((job) => job.remove().catch(() => {})));
        await sleep(250);
      }
    })();

    const started = Date.now();
    schedulers.push(...(await Promise.all([spawnScheduler(h, SCHEDULER_ENV), spawnScheduler(h, SCHEDULER_ENV)])));
    await load.connectAccounts();
    const loadDone = load.enqueueMixed().then(() => load.waitUntilFinished(120_000));
    await sleep(10_000);
    schedulers[0]!.kill('SIGKILL');
    await once(schedulers[0]!, 'exit');
    await sleep(2_000);
    schedulers.push(await spawnScheduler(h, SCHEDULER_ENV));
    await sleep(Math.max(0, WINDOW_MS - (Date.now() - started)));
    losing = false;
    await loser;
    for (const child of schedulers.slice(1)) child.kill('SIGTERM');
    await loadDone;
    // Renewals in flight would count a token request before their job completes: let them finish, start no more.
    await queue.pause();
    while ((await queue.getActiveCount()) > 0) await sleep(100);
    const windowMs = Date.now() - started;

    const problems: string[] = [];
    const completed = await queue.getCompleted();
    for (const { clientId, connectionId, orphan } of renewing) {
      const renewals = completed.filter(
        (job) =>
          job.name === 'refresh' &&
          job.data.connectionId === connectionId &&
          (job.returnvalue as RefreshResult).renewed,
      ).length;
      const requests = (h.provider.stats.tokenRequestsByClient.get(clientId) ?? 0) - (baseline.get(clientId) ?? 0);
      const stored = await h.runtime.store.connections.get(connectionId);
      const label = `${orphan ? 'sweep-renewed' : 'job-renewed'} ${connectionId}`;
      // Due every LIFETIME/2 s; a renewal may wait behind the load (and for the sweep's tick and spread), but never a
      // whole lifetime, or the token would have expired.
      const least = Math.floor(windowMs / (LIFETIME_SECONDS * 1000));
      const most = Math.ceil(windowMs / ((LIFETIME_SECONDS / 2) * 1000)) + 1;
      if (requests !== renewals) problems.push(`${label}: ${requests} token requests for ${renewals} renewals`);
      if (renewals < least)
        problems.push(`${label}: ${renewals} renewals in ${windowMs} ms; expected at least ${least}`);
      if (renewals > most) problems.push(`${label}: ${renewals} renewals in ${windowMs} ms; expected at most ${most}`);
      if (stored?.status !== 'active' || (stored.expiresAt?.getTime() ?? 0) < Date.now() - 2000) {
        problems.push(`${label}: ${stored?.status}, expires ${stored?.expiresAt?.toISOString()}: renewals stopped`);
      }
    }
    const audit = await load.audit();
    const row = recordScenario('5. two schedulers, one restarted', audit, problems);
    expect(row.problems).toEqual([]);
  });
});
