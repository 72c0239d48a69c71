/** Helpers shared by the renewal tests. */
import type { Queue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { providerConnector } from '../support/connectors.js';
import type { Harness } from '../support/harness.js';
import { deleteMatching } from '../support/scan.js';

export const SECRET = 'renewal-secret';

/** Registers a provider client with this token lifetime and connects it; resolves to the connection id. */
export async function connectClient(
  h: Harness,
  clientId: string,
  lifetimeSeconds: number | null,
  connector = 'acme',
): Promise<string> {
  h.provider.registerClient({ clientId, clientSecret: SECRET, lifetimeSeconds });
  const result = await h.client.connect({
    owner: `owner-${clientId}`,
    connector,
    fields: { client_id: clientId, client_secret: SECRET },
  });
  return result.connectionId;
}

export async function applyAcme(h: Harness): Promise<void> {
  await h.applyConnector(providerConnector(h.provider.url));
}

/** Deletes every key under `<prefix>:` (SCAN + DEL), as if Redis had lost this system's data. */
export async function flushPrefix(redis: Redis | Cluster, prefix: string): Promise<number> {
  return deleteMatching(redis, `${prefix}:*`);
}

/** Connection ids of the unfinished (delayed, waiting or active) refresh jobs, one entry per job. */
export async function pendingRefreshJobs(queue: Queue): Promise<string[]> {
  const jobs = await queue.getJobs(['delayed', 'waiting', 'active', 'prioritized']);
  return jobs.filter((job) => job?.name === 'refresh').map((job) => String(job.data.connectionId));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The JSON log records among captured log chunks (a chunk may hold several lines). */
export function logRecords(chunks: string[]): Array<Record<string, unknown>> {
  return chunks
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
