/**
 * Instrumentation shared by both benchmark workers (ours and the baseline), so that both are measured the same way:
 * it listens to the worker's `completed`/`failed` events and answers the driver over the IPC channel.
 *
 * Protocol: the child sends `ready`; the driver sends `expect` (a phase of `count` jobs starts), the child answers
 * `expecting`, then `done` with the phase's figures once `count` jobs have finished. Memory checkpoints count calls since the process
 * started (warm-up included), so "RSS after 20,000 calls" means what it says.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import type { Job, Worker } from 'bullmq';
import type { StoreCounts } from './store-counter.js';

export interface ExpectMessage {
  type: 'expect';
  count: number;
}

export interface PhaseReport {
  type: 'done';
  completed: number;
  failed: number;
  /** First failure reason of the phase, to say why when something failed. */
  firstFailure?: string;
  /** Earliest `processedOn` and latest `finishedOn` of the phase (epoch ms, same clock as the driver). */
  firstProcessedOn: number;
  lastFinishedOn: number;
  /** Job processing time, `finishedOn − processedOn`, in ms. */
  p50Ms: number;
  p99Ms: number;
  /** CPU time (user + system) the worker process used during the phase, µs. */
  cpuMicros: number;
  /** Peak resident set size of the process so far, bytes. */
  maxRssBytes: number;
  /** RSS (after a full GC when `--expose-gc` is on) when the process had finished this many calls. */
  rssAtCalls: Record<number, number>;
  /**
   * The rest of `process.memoryUsage()` at the same moments: the JavaScript heap in use and reserved, and memory
   * outside it held by JavaScript objects (buffers). Flat while RSS grows means none of them is what grows.
   */
  heapAtCalls: Record<number, MemoryBreakdown>;
  /** RSS (after a full GC when `--expose-gc` is on) at the end of the phase. */
  rssBytes: number;
  /** Store operations of the phase, by operation; empty for a worker without a store. */
  storeOperations: StoreCounts;
}

/**
 * Where the memory was at a checkpoint: the JavaScript heap in use and reserved, memory its objects hold outside it,
 * and the RSS split into anonymous memory (what the process allocated) and file-backed pages (the node binary's
 * code and data, paged in as more of it runs), from /proc/self/status (Linux only).
 */
export type MemoryBreakdown = Pick<NodeJS.MemoryUsage, 'heapUsed' | 'heapTotal' | 'external'> & {
  rssAnon?: number;
  rssFile?: number;
};

/** `RssAnon` and `RssFile` of /proc/self/status, bytes; nothing where there is no such file. */
function rssKinds(): { rssAnon?: number; rssFile?: number } {
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return {};
  }
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rssAnon: kb('RssAnon'), rssFile: kb('RssFile') };
}

export type ChildMessage = { type: 'ready' } | { type: 'expecting' } | PhaseReport;

/** Calls after which the RSS is recorded: the memory target compares these two. */
export const RSS_CHECKPOINTS = [20_000, 200_000];
/** Beyond the last of them, the RSS is recorded again every this many calls, to show where a long run levels off. */
export const LATER_CHECKPOINT_EVERY = 200_000;

const isCheckpoint = (calls: number) =>
  RSS_CHECKPOINTS.includes(calls) || (calls > (RSS_CHECKPOINTS.at(-1) ?? 0) && calls % LATER_CHECKPOINT_EVERY === 0);

/** RSS after a full GC when `--expose-gc` is on, so that garbage not yet collected does not count. */
function settledRss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage.rss();
}

/**
 * Records memory at a checkpoint; with `BENCH_HEAP_SNAPSHOTS=<dir>`, also writes a heap snapshot there (open two in
 * Chrome DevTools' Memory tab and compare them to see what grew).
 */
function checkpoint(calls: number, rss: Record<number, number>, heap: PhaseReport['heapAtCalls']): void {
  rss[calls] = settledRss();
  const { heapUsed, heapTotal, external } = process.memoryUsage();
  heap[calls] = { heapUsed, heapTotal, external, ...rssKinds() };
  const dir = process.env.BENCH_HEAP_SNAPSHOTS;
  if (dir) writeHeapSnapshot(join(dir, `${process.pid}-${calls}.heapsnapshot`));
}

/**
 * Listens to `workers` (one per call partition) as one worker.
 * @param storeCounts The process's store operations so far (`store-counter.ts`); none when it has no store.
 */
export function attachProbe(workers: Worker[], storeCounts: () => StoreCounts = () => ({})): void {
  const send = (message: ChildMessage) => process.send?.(message);
  const rssAtCalls: Record<number, number> = {};
  const heapAtCalls: PhaseReport['heapAtCalls'] = {};
  let total = 0;
  let phase: {
    count: number;
    latencies: Float64Array;
    completed: number;
    failed: number;
    cpu: NodeJS.CpuUsage;
    store: StoreCounts;
  } | null = null;
  let firstProcessedOn = Number.POSITIVE_INFINITY;
  let lastFinishedOn = 0;
  let firstFailure: string | undefined;

  const finished = (job: Job, failure?: string) => {
    total++;
    if (isCheckpoint(total)) checkpoint(total, rssAtCalls, heapAtCalls);
    if (!phase) return;
    const processedOn = job.processedOn ?? 0;
    const finishedOn = job.finishedOn ?? Date.now();
    firstProcessedOn = Math.min(firstProcessedOn, processedOn);
    lastFinishedOn = Math.max(lastFinishedOn, finishedOn);
    if (failure === undefined) phase.latencies[phase.completed++] = finishedOn - processedOn;
    else {
      phase.failed++;
      firstFailure ??= failure;
    }
    if (phase.completed + phase.failed >= phase.count) report();
  };

  const report = () => {
    if (!phase) return;
    const latencies = phase.latencies.subarray(0, phase.completed).sort();
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    const cpu = process.cpuUsage(phase.cpu);
    const before = phase.store;
    const storeOperations = Object.fromEntries(
      Object.entries(storeCounts()).map(([operation, count]) => [operation, count - (before[operation] ?? 0)]),
    );
    send({
      type: 'done',
      completed: phase.completed,
      failed: phase.failed,
      ...(firstFailure !== undefined && { firstFailure }),
      firstProcessedOn,
      lastFinishedOn,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      cpuMicros: cpu.user + cpu.system,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      rssAtCalls: { ...rssAtCalls },
      heapAtCalls: { ...heapAtCalls },
      rssBytes: settledRss(),
      storeOperations,
    });
    phase = null;
  };

  for (const worker of workers) {
    worker.on('completed', (job) => finished(job));
    worker.on('failed', (job, error) => {
      if (job) finished(job, error.message);
    });
  }
  process.on('message', (message: ExpectMessage) => {
    if (message.type !== 'expect') return;
    phase = {
      count: message.count,
      latencies: new Float64Array(message.count),
      completed: 0,
      failed: 0,
      cpu: process.cpuUsage(),
      store: storeCounts(),
    };
    firstProcessedOn = Number.POSITIVE_INFINITY;
    lastFinishedOn = 0;
    firstFailure = undefined;
    send({ type: 'expecting' });
  });
  send({ type: 'ready' });
}
