import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configVariableNames } from '../../src/config.js';
import { type Harness, startHarness } from '../support/harness.js';

let h: Harness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await h?.close();
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** Runs an entry point as `npm run …` would, with the harness's database schema and queue prefix. */
function run(entry: string, env: Record<string, string>) {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !configVariableNames().includes(name)),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...inherited, ...h.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += String(chunk);
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const waitFor = async (pattern: RegExp) => {
    await expect.poll(() => output, { timeout: 20_000, interval: 100 }).toMatch(pattern);
    return pattern.exec(output);
  };
  return { child, exited, waitFor, output: () => output };
}

describe('processes', () => {
  it('when production has no board credentials, npm run board exits 1 naming the variables', async () => {
    const board = run('workers/board.ts', { NODE_ENV: 'production', BOARD_PORT: String(await freePort()) });
    expect(await board.exited).toBe(1);
    expect(board.output()).toMatch(/BOARD_USER and BOARD_PASSWORD \(or BOARD_TOKEN\)/);
  });

  it('when npm start runs, it prints the board and a login that works, and SIGTERM stops every part', async () => {
    const port = await freePort();
    const all = run('workers/all.ts', { NODE_ENV: 'development', BOARD_PORT: String(port) });
    const match = await all.waitFor(/Bull Board: (\S+)\n {2}user: (\S+)\n {2}password: (\S+)/);
    const [, url = '', user = '', password = ''] = match ?? [];
    expect(url).toBe(`http://127.0.0.1:${port}/admin/queues`);
    expect(all.output()).toMatch(/worker started/);
    expect(all.output()).toMatch(/scheduler started/);
    const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(`${url}/api/queues`, { headers: { authorization } })).status).toBe(200);

    all.child.kill('SIGTERM');
    expect(await all.exited).toBe(0);
    expect(all.output()).toMatch(/shutting down[\s\S]*stopped/);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('when METRICS_PORT is set, a lone worker serves its own metrics, and counts the jobs it ran', async () => {
    const port = await freePort();
    const worker = run('workers/worker.ts', { METRICS_PORT: String(port) });
    await worker.waitFor(/probe server started/);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    await h.client.test({ owner: 'ws', connectionId: 'missing' }).catch(() => {});
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/oauth_cc_job_duration_seconds_count\{[^}]*name="test"[^}]*\} 1/);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
