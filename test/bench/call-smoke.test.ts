/**
 * Smoke run of `npm run bench` (bench/call-bench.ts) with small numbers: the same code path (upstream, baseline and
 * real worker in child processes, connect jobs, addBulk, drain), checking its mechanics only. Timings on a shared
 * machine prove nothing, so none is asserted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type CallBenchResult, runCallBench } from '../../bench/call-bench.js';

const CALLS = 500;
const CONNECTIONS = 20;

let result: CallBenchResult;

beforeAll(async () => {
  result = await runCallBench({ calls: CALLS, connections: CONNECTIONS, warmup: 50, rounds: 1, concurrency: 20 });
}, 120_000);

describe('call benchmark (smoke)', () => {
  it('when run with 500 calls over 20 connections, both workers complete every call and report figures', () => {
    for (const side of [result.baseline, result.ours]) {
      expect(side).toMatchObject({ completed: CALLS, failed: 0 });
      expect(side.jobsPerSecond).toBeGreaterThan(0);
      expect(side.cpuMicrosPerJob).toBeGreaterThan(0);
      expect(side.redisCpuMicrosPerJob).toBeGreaterThan(0);
      expect(side.p99Ms).toBeGreaterThanOrEqual(side.p50Ms);
      expect(side.maxRssBytes).toBeGreaterThan(0);
    }
    expect(result.ratio).toBeCloseTo(result.ours.jobsPerSecond / result.baseline.jobsPerSecond, 10);
  });

  it('fetches each connection token once, at connect, and reuses it for every call', () => {
    expect(result.tokenRequests).toBe(CONNECTIONS);
  });
});
