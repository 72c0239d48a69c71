/**
 * Smoke run of `npm run bench` (bench/call-bench.ts) with small numbers: the same code path (upstream, baseline and
 * real worker in child processes, connections written to the store, addBulk, drain), checking its mechanics only. Timings on a shared
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
      // PostgreSQL runs on this machine here, so its CPU is read (null would mean it was not found).
      expect(side.postgresCpuMicrosPerJob).toBeTypeOf('number');
      expect(side.p99Ms).toBeGreaterThanOrEqual(side.p50Ms);
      expect(side.maxRssBytes).toBeGreaterThan(0);
    }
    expect(result.ratio).toBeCloseTo(result.ours.jobsPerSecond / result.baseline.jobsPerSecond, 10);
  });

  it("reuses each connection's stored token for every call: no token request during the calls", () => {
    expect(result.tokenRequests).toBe(0);
  });

  it('reports the store operations of our worker: the cache holds every connection, so calls read nothing', () => {
    expect(result.ours.storeOperationsPerJob['connections.get'] ?? 0).toBeLessThan(0.1);
    expect(result.baseline.storeOperationsPerJob).toEqual({});
    expect(result.ours.rssAfterWarmupBytes).toBeGreaterThan(0);
    expect(result.ours.rssAtEndBytes).toBeGreaterThan(0);
  });

  it("reports where our keys are: on the one Redis, under the run's prefix", () => {
    expect(result.keys).toHaveLength(1);
    expect(result.keys[0]?.keys).toBeGreaterThan(CONNECTIONS);
  });
});
