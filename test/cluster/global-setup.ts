/** Starts the local cluster (test/cluster/local-cluster.sh) unless one is already up; stops it if it started it. */
import { execFileSync } from 'node:child_process';

const SCRIPT = 'test/cluster/local-cluster.sh';

export default function setup() {
  const output = execFileSync('bash', [SCRIPT, 'start'], { encoding: 'utf8' });
  const started = !output.includes('already running');
  return () => {
    if (started) execFileSync('bash', [SCRIPT, 'stop']);
  };
}
