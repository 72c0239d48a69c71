/**
 * The Redis Cluster of `npm run bench -- --cluster`: the one named by BENCH_CLUSTER_NODES (seed nodes, `host:port`
 * separated by commas), or else a local six-node cluster (three masters, three replicas) that
 * `test/cluster/local-cluster.sh` starts on ports BENCH_CLUSTER_PORT … +5 (default 7100) and stops afterwards.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function withCluster<T>(run: (seedNodes: string[]) => Promise<T>): Promise<T> {
  const given = process.env.BENCH_CLUSTER_NODES;
  if (given) return run(given.split(','));
  const port = Number(process.env.BENCH_CLUSTER_PORT ?? 7100);
  const env = { ...process.env, CLUSTER_PORT: String(port), CLUSTER_DIR: join(tmpdir(), `oauth-cc-bench-${port}`) };
  const script = (command: 'start' | 'stop') =>
    execFileSync('bash', ['test/cluster/local-cluster.sh', command], { cwd: ROOT, env, stdio: 'inherit' });
  script('start');
  try {
    return await run([0, 1, 2].map((n) => `127.0.0.1:${port + n}`));
  } finally {
    script('stop');
  }
}
