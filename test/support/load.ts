/**
 * The mixed load of the fault scenarios and the audit of its end state.
 *
 * Accounts fall in three groups, so that each end-state rule has jobs that can break it:
 * - `reconnect`: connected twice at once, then connected again during the load (a re-run must update the same row);
 * - `renew`: forced refreshes, several per connection at once (each renewal must cost exactly one token request);
 * - `revoke`: revoked twice during the load (the second is a no-op), while calls and tests still arrive for them.
 * Every group also gets calls and tests. Only jobs on revoked connections may fail, and only because of the revocation.
 */
import { randomBytes } from 'node:crypto';
import { Job, Queue } from 'bullmq';
import { openToken } from '../../src/connections/context.js';
import type { Connection } from '../../src/domain/model.js';
import type { JobName } from '../../src/queue/names.js';
import { createRedis, type RedisClient } from '../../src/queue/redis.js';
import type { JobContract } from '../../src/queue/schemas.js';
import type { Harness } from './harness.js';

export type Group = 'reconnect' | 'renew' | 'revoke';

export interface Account {
  clientId: string;
  secret: string;
  owner: string;
  group: Group;
  connectionId: string;
}

export interface TrackedJob {
  id: string;
  name: JobName;
  account: Account;
}

export interface LoadOptions {
  /** Accounts, split evenly over the three groups. @default 60 */
  accounts?: number;
  /** Jobs in all, connects of the first phase included. @default 2000 */
  jobs?: number;
  /** Connector key. @default "acme" */
  connector?: string;
}

export interface Audit {
  jobs: number;
  completed: number;
  failedWithReason: number;
  /** Jobs neither completed nor failed with a reason: gone, or still waiting when the audit ran. */
  lost: number;
  /** Connections beyond one per (connector, owner, unique id), plus connections missing for an account. */
  duplicates: number;
  /** Jobs that ran more than once (retries or stall recovery) and still completed. */
  rerunCompleted: number;
  /** Every broken rule, in words; empty when the end state is right. */
  problems: string[];
}

/** Failures allowed on revoked connections: the job arrived after (or during) the revocation. */
const REVOKED_FAILURE = /connection_revok(ed|ing)/;
const FINISHED = new Set(['completed', 'failed']);

/** A deterministic shuffle, so that a failing run can be replayed. */
function shuffle<T>(items: T[], seed = 7): T[] {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

export class MixedLoad {
  readonly accounts: Account[] = [];
  readonly tracked: TrackedJob[] = [];
  /** Renewal token requests per client at the end of the connect phase. */
  private baseline = new Map<string, number>();
  private readonly redis: RedisClient;
  private readonly connections: Queue;
  /** One per call partition. */
  private readonly calls: Queue[];
  private readonly connector: string;

  constructor(
    private readonly h: Harness,
    private readonly options: LoadOptions = {},
  ) {
    this.connector = options.connector ?? 'acme';
    // Waits through a Redis restart instead of failing: the audit must see what Redis holds once it is back.
    this.redis = createRedis(h.runtime.redisTarget, 'worker');
    const queueOptions = { connection: this.redis, prefix: h.config.queuePrefix };
    this.connections = new Queue(h.runtime.queues.connections.name, queueOptions);
    this.calls = h.runtime.callQueues.map((queue) => new Queue(queue.name, queueOptions));
    for (const queue of [this.connections, ...this.calls]) queue.on('error', () => {});
  }

  /** The queue and BullMQ job id of a tracked job: the SDK's ids of partitioned calls read `<partition>.<id>`. */
  private locate({ name, id }: Pick<TrackedJob, 'name' | 'id'>): [Queue, string] {
    if (name !== 'call') return [this.connections, id];
    if (this.calls.length === 1) return [this.calls[0]!, id];
    const dot = id.indexOf('.');
    return [this.calls[Number(id.slice(0, dot))]!, id.slice(dot + 1)];
  }

  /** Phase 1: registers the accounts with the provider and connects each twice at once. */
  async connectAccounts(): Promise<void> {
    const count = this.options.accounts ?? 60;
    const groups: Group[] = ['reconnect', 'renew', 'revoke'];
    for (let i = 0; i < count; i++) {
      const clientId = `load-${randomBytes(4).toString('hex')}-${i}`;
      const secret = `sec-${randomBytes(12).toString('base64url')}%+/=`;
      this.h.provider.registerClient({
        clientId,
        clientSecret: secret,
        account: { account_id: clientId, name: `Account ${i}`, email: `${clientId}@example.test` },
      });
      this.accounts.push({ clientId, secret, owner: `tenant-${i % 4}`, group: groups[i % 3]!, connectionId: '' });
    }
    const connects = this.accounts.flatMap((account) => [account, account]);
    const ids = await this.enqueue(connects.map((account) => ({ name: 'connect' as const, account })));
    await this.waitUntilFinished(60_000, ids);
    for (const job of ids) {
      const finished = await Job.fromId(...this.locate(job));
      const result = finished?.returnvalue as JobContract['connect']['result'] | undefined;
      if (!result?.connectionId) throw new Error(`connect ${job.id} did not complete: ${finished?.failedReason}`);
      job.account.connectionId = result.connectionId;
    }
    this.baseline = new Map(this.h.provider.stats.tokenRequestsByClient);
  }

  /** Phase 2: enqueues the rest of the jobs, shuffled, and returns once they are all in the queues. */
  async enqueueMixed(): Promise<void> {
    const total = this.options.jobs ?? 2000;
    const plan: Array<{ name: JobName; account: Account }> = [];
    for (const account of this.accounts) {
      if (account.group === 'reconnect') plan.push({ name: 'connect', account }, { name: 'connect', account });
      if (account.group === 'renew') for (let i = 0; i < 5; i++) plan.push({ name: 'refresh', account });
      if (account.group === 'revoke') plan.push({ name: 'revoke', account }, { name: 'revoke', account });
      plan.push({ name: 'test', account }, { name: 'test', account });
    }
    for (let i = 0; plan.length < total - this.tracked.length; i++) {
      plan.push({ name: 'call', account: this.accounts[i % this.accounts.length]! });
    }
    await this.enqueue(shuffle(plan));
  }

  private payload(name: JobName, account: Account) {
    const { owner, connectionId } = account;
    switch (name) {
      case 'connect':
        return {
          owner,
          connector: this.connector,
          fields: { client_id: account.clientId, client_secret: account.secret },
        };
      case 'refresh':
        return { owner, connectionId, force: true };
      case 'call':
        return { owner, connectionId, url: 'echo', query: { n: 1 } };
      default:
        return { owner, connectionId };
    }
  }

  /** Enqueues jobs through the SDK and tracks them. */
  async enqueue(plan: Array<{ name: JobName; account: Account }>): Promise<TrackedJob[]> {
    const added: TrackedJob[] = [];
    for (const chunk of chunks(plan, 200)) {
      const ids = await Promise.all(
        chunk.map(({ name, account }) =>
          this.h.client.enqueue(name, this.payload(name, account) as JobContract[typeof name]['data']),
        ),
      );
      for (const [i, { name, account }] of chunk.entries()) added.push({ id: ids[i]!, name, account });
    }
    this.tracked.push(...added);
    return added;
  }

  private state(job: TrackedJob) {
    const [queue, id] = this.locate(job);
    return queue.getJobState(id);
  }

  /** Jobs finished so far (completed or failed), out of `jobs`. */
  async finishedCount(jobs: TrackedJob[] = this.tracked): Promise<number> {
    let finished = 0;
    for (const chunk of chunks(jobs, 500)) {
      const states = await Promise.all(chunk.map((job) => this.state(job)));
      finished += states.filter((state) => FINISHED.has(state)).length;
    }
    return finished;
  }

  /** The jobs not finished yet, counted by queue and state (`connections active: 12`), for a report. */
  async unfinished(): Promise<string> {
    const counts = new Map<string, number>();
    for (const job of this.tracked) {
      const state = await this.state(job).catch(() => 'unreadable');
      if (FINISHED.has(state)) continue;
      const key = `${this.locate(job)[0].name} ${state}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, count]) => `${key}: ${count}`).join(', ');
  }

  /** Resolves when every job is finished, or when `timeoutMs` has passed (the audit then counts the rest as lost). */
  async waitUntilFinished(timeoutMs: number, jobs: TrackedJob[] = this.tracked): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const finished = await this.finishedCount(jobs).catch(() => -1);
      if (finished === jobs.length || Date.now() > deadline) return finished;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Checks every rule of the end state. */
  async audit(): Promise<Audit> {
    const problems: string[] = [];
    const audit: Audit = {
      jobs: this.tracked.length,
      completed: 0,
      failedWithReason: 0,
      lost: 0,
      duplicates: 0,
      rerunCompleted: 0,
      problems,
    };
    const renewed = new Map<string, number>();
    const extraAttempts = new Map<string, number>();
    const unexpected: string[] = [];
    for (const chunk of chunks(this.tracked, 500)) {
      const jobs = await Promise.all(chunk.map((tracked) => Job.fromId(...this.locate(tracked))));
      const states = await Promise.all(chunk.map((tracked) => this.state(tracked)));
      chunk.forEach((tracked, i) => {
        const job = jobs[i];
        const state = states[i];
        const { clientId, group } = tracked.account;
        if (job && state === 'completed') {
          audit.completed++;
          if (job.attemptsStarted > 1) audit.rerunCompleted++;
          if (tracked.name === 'refresh' && (job.returnvalue as { renewed?: boolean }).renewed) {
            renewed.set(clientId, (renewed.get(clientId) ?? 0) + 1);
          }
        } else if (job && state === 'failed' && job.failedReason) {
          audit.failedWithReason++;
          if (group !== 'revoke' || !REVOKED_FAILURE.test(job.failedReason)) {
            unexpected.push(`${tracked.name} ${tracked.id} (${group}): ${job.failedReason}`);
          }
        } else {
          audit.lost++;
        }
        if (job && tracked.name === 'refresh') {
          extraAttempts.set(clientId, (extraAttempts.get(clientId) ?? 0) + Math.max(0, job.attemptsStarted - 1));
        }
      });
    }
    if (audit.lost > 0) problems.push(`${audit.lost} jobs neither completed nor failed with a reason`);
    if (unexpected.length > 0) {
      problems.push(`${unexpected.length} unexpected failures, such as: ${unexpected.slice(0, 3).join(' | ')}`);
    }
    this.checkTokenRequests(renewed, extraAttempts, problems);
    audit.duplicates = await this.checkStore(problems);
    return audit;
  }

  /**
   * Each completed renewal made exactly one token request. A request whose attempt then failed (the store was down,
   * the worker was killed) is followed by a re-run that asks again: those are bounded by the extra attempts.
   */
  private checkTokenRequests(renewed: Map<string, number>, extra: Map<string, number>, problems: string[]): void {
    for (const account of this.accounts.filter((a) => a.group === 'renew')) {
      const requests =
        (this.h.provider.stats.tokenRequestsByClient.get(account.clientId) ?? 0) -
        (this.baseline.get(account.clientId) ?? 0);
      const done = renewed.get(account.clientId) ?? 0;
      const allowed = done + (extra.get(account.clientId) ?? 0);
      if (done === 0) problems.push(`connection ${account.connectionId} was never renewed by its forced refreshes`);
      if (requests < done || requests > allowed) {
        problems.push(
          `${account.clientId}: ${requests} token requests for ${done} renewals (${allowed - done} re-run attempts)`,
        );
      }
    }
  }

  /** One connection per account, and each connection's stored state matches its status. Returns the duplicates. */
  private async checkStore(problems: string[]): Promise<number> {
    const connections: Connection[] = [];
    let after: string | undefined;
    do {
      const page = await this.h.runtime.store.connections.list({ connector: this.connector }, { after, limit: 500 });
      connections.push(...page.items);
      after = page.next ?? undefined;
    } while (after !== undefined);
    const keys = connections.map((c) => `${c.connector}|${c.owner}|${c.uniqueId}`);
    const missing = this.accounts.filter((a) => !connections.some((c) => c.id === a.connectionId)).length;
    const duplicates = keys.length - new Set(keys).size + missing;
    if (duplicates > 0) problems.push(`${duplicates} duplicate or missing connections`);
    for (const account of this.accounts) {
      const stored = connections.find((c) => c.id === account.connectionId);
      if (!stored) continue;
      if (account.group === 'revoke') {
        const wiped =
          stored.accessToken === null && stored.refreshToken === null && Object.keys(stored.secrets).length === 0;
        if (stored.status !== 'revoked' || !wiped) {
          problems.push(`${stored.id}: status ${stored.status}, wiped ${wiped}; expected revoked and wiped`);
        }
      } else {
        const opens = stored.accessToken !== null && (openToken(this.h.keys, stored, 'access_token')?.length ?? 0) > 0;
        if (stored.status !== 'active' || !opens) {
          problems.push(`${stored.id}: status ${stored.status}, token ${opens}; expected active with a token`);
        }
      }
    }
    return duplicates;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.connections, ...this.calls].map((queue) => queue.close()));
    this.redis.disconnect();
  }
}
