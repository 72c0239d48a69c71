import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { applyAcme, connectClient, flushPrefix, logRecords, pendingRefreshJobs, sleep, waitFor } from './support.js';

let h: Harness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startHarness();
  await applyAcme(h);
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await h?.close();
});

/** `npm run scheduler` in a child process, sweeping every second; resolves once it has started. */
async function spawnScheduler(lines: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/scheduler.ts'], {
    env: { ...process.env, ...h.env, SCHEDULER_CRON: '* * * * * *', SCHEDULER_SPREAD_SECONDS: '1', LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let buffered = '';
  const started = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += String(chunk);
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      lines.push(...complete);
      if (complete.some((line) => line.includes('"msg":"scheduler started"'))) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => lines.push(String(chunk)));
    child.once('exit', (code) => reject(new Error(`scheduler exited with ${code}: ${lines.join('\n')}`)));
  });
  await started;
  return child;
}

describe('several scheduler processes', () => {
  it('when two schedulers tick every second, one of them sweeps each tick and each missing renewal is enqueued once', async () => {
    const queue = h.runtime.queues.connections;
    const ids: string[] = [];
    for (const n of [1, 2, 3, 4]) ids.push(await connectClient(h, `pair-${n}`, 3600));
    // Due a minute ago, with their scheduled renewals lost.
    for (const id of ids) {
      const connection = await h.runtime.store.connections.get(id);
      await h.runtime.store.connections.update(id, connection?.version ?? 0, {
        renewAt: new Date(Date.now() - 60_000),
      });
    }
    await flushPrefix(h.runtime.redis, `${h.config.queuePrefix}:${queue.name}`);
    expect(await pendingRefreshJobs(queue)).toEqual([]);
    h.provider.reset();

    const first: string[] = [];
    const second: string[] = [];
    const schedulers = await Promise.all([spawnScheduler(first), spawnScheduler(second)]);
    await sleep(6_000);
    for (const child of schedulers) child.kill('SIGTERM');
    await Promise.all(schedulers.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));

    const records = logRecords([...first, ...second]);
    const sweeps = records.filter((record) => record.msg === 'sweep');
    const ticks = sweeps.map((sweep) => sweep.tick);
    expect(sweeps.length).toBeGreaterThanOrEqual(4);
    expect(new Set(ticks).size).toBe(ticks.length);
    // Both took part: the loser of each tick says so.
    expect(records.filter((record) => record.msg === 'sweep skipped: another scheduler has it').length).toBeGreaterThan(
      0,
    );
    expect(sweeps.reduce((sum, sweep) => sum + Number(sweep.enqueued), 0)).toBe(ids.length);

    // Each connection is renewed once, by the one job enqueued for it.
    await waitFor(() => h.provider.stats.tokenRequests >= ids.length, 10_000, 'the renewals');
    await sleep(1_000);
    expect(h.provider.stats.tokenRequests).toBe(ids.length);
    expect((await pendingRefreshJobs(queue)).sort()).toEqual([...ids].sort());
  }, 60_000);
});
