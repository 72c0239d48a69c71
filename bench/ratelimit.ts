/**
 * `npm run bench:ratelimit`: calls pacing themselves to an API's rate limit (see ratelimit-bench.ts), printed as one
 * table, with the fairness scenario side by side.
 *
 *   npm run bench:ratelimit                      # 3 runs × 20,000 calls over 20 connections, 2 workers
 *   npm run bench:ratelimit -- --calls 5000      # smaller runs
 *
 * Needs Redis and PostgreSQL (REDIS_URL, DATABASE_URL; local defaults). Exits with 1 when a target is missed.
 */
import { parseArgs } from 'node:util';
import { type RateLimitBenchResult, type RunResult, runRateLimitBench } from './ratelimit-bench.js';

const TARGET_DECLARED_429 = 0.005;
const TARGET_DECLARED_THROUGHPUT = 0.9;
const TARGET_LEARNED_429 = 0.02;
const TARGET_FAIRNESS = 1.2;

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    connections: { type: 'string', default: '20' },
    workers: { type: 'string', default: '2' },
  },
});
const positive = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer`);
  return n;
};

const result = await runRateLimitBench({
  calls: positive('calls'),
  connections: positive('connections'),
  workers: positive('workers'),
  progress: (line) => console.log(`… ${line}`),
});
const { lines, met } = report(result);
console.log(lines.join('\n'));
process.exitCode = met ? 0 : 1;

function report(r: RateLimitBenchResult): { lines: string[]; met: boolean } {
  const o = r.options;
  const pct = (value: number) => `${(value * 100).toFixed(2)}%`;
  const columns = (cells: Array<string | number>) =>
    cells.map((cell, i) => (i === 0 ? String(cell).padEnd(30) : String(cell).padStart(14))).join('');
  const row = (run: RunResult) =>
    columns([
      run.name,
      (run.durationMs / 1000).toFixed(1),
      Math.round((run.completed * 1000) / run.durationMs),
      pct(run.accepted / run.allowance),
      run.rejected,
      pct(run.rejected / run.calls),
      run.completed,
      run.failed,
    ]);
  const [, declared, learned] = r.runs as [RunResult, RunResult, RunResult];
  const checks = [
    { what: 'declared: 429s ≤ 0.5% of calls', ok: declared.rejected / declared.calls <= TARGET_DECLARED_429 },
    {
      what: 'declared: accepted ≥ 90% of the API allowance',
      ok: declared.accepted / declared.allowance >= TARGET_DECLARED_THROUGHPUT,
    },
    { what: 'learned: 429s ≤ 2% of calls', ok: learned.rejected / learned.calls <= TARGET_LEARNED_429 },
    { what: 'declared and learned: no call failed', ok: declared.failed === 0 && learned.failed === 0 },
  ];
  const { alone, withBusy, busyQueuedMs } = r.fairness;
  const slowdown = withBusy.durationMs / alone.durationMs;
  checks.push({ what: 'fairness: others within 20% of their time alone', ok: slowdown <= TARGET_FAIRNESS });
  const lines = [
    '',
    `Rate budgets — API: ${o.apiPerSecond} requests/s per connection (burst ${o.apiBurst}), 429 + Retry-After beyond; ${o.connections} connections, ${o.calls} calls enqueued at once, ${o.workers} worker processes`,
    `machine: ${r.machine}`,
    '',
    columns(['run', 'seconds', 'calls/s', 'of allowance', '429s', '429 rate', 'completed', 'failed']),
    ...r.runs.map(row),
    '',
    `Fairness — ${o.otherCalls} calls over ${o.otherConnections} connections (declared ${o.busyPerSecond}/s each), alone and with one connection's ${o.busyCalls} calls queued (sorted into delayed in ${(busyQueuedMs / 1000).toFixed(1)} s before the others arrived)`,
    columns(['', 'alone', 'with busy', 'ratio']),
    columns([
      'others finished (s)',
      (alone.durationMs / 1000).toFixed(2),
      (withBusy.durationMs / 1000).toFixed(2),
      slowdown.toFixed(2),
    ]),
    columns([
      'others completed / failed',
      `${alone.completed}/${alone.failed}`,
      `${withBusy.completed}/${withBusy.failed}`,
      '',
    ]),
    '',
    ...checks.map((check) => `${check.what}: ${check.ok ? 'met' : 'MISSED'}`),
  ];
  const failure = r.runs.find((run) => run.firstFailure)?.firstFailure;
  if (failure) lines.push(`first failure: ${failure}`);
  return { lines, met: checks.every((check) => check.ok) };
}
