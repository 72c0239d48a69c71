/**
 * CPU time of the PostgreSQL server, read from /proc: the database shares the machine's cores with the workers, and
 * a store read that costs the worker little may cost the server more. Works when the server runs on this machine
 * (the benchmark's default); elsewhere the figure is reported as unknown rather than guessed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** Linux' USER_HZ: /proc reports CPU time in ticks of 10 ms. */
const TICK_MICROS = 10_000;

/** Fields of /proc/<pid>/stat after the command name: state, ppid, …; utime is field 14 of the whole line. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields start after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** The postmaster's pid, found through a backend of ours; null when the server is not a process of this machine. */
export async function findPostmaster(databaseUrl: string): Promise<number | null> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const backend = rows[0]?.pid;
    const ppid = backend === undefined ? undefined : statFields(backend)?.[1];
    if (ppid === undefined) return null;
    const postmaster = Number(ppid);
    const command = readFileSync(`/proc/${postmaster}/cmdline`, 'utf8');
    return command.includes('postgres') ? postmaster : null;
  } catch {
    return null;
  } finally {
    await client.end();
  }
}

/**
 * CPU time (user + system) the server used so far, µs: the postmaster's own, that of its children that have exited
 * (backends of closed connections), and that of its living children (backends, background workers).
 */
export function postgresCpuMicros(postmaster: number): number {
  // After the state (0) and ppid (1): utime is field 11 of these, stime 12, cutime 13, cstime 14.
  const own = statFields(postmaster);
  if (!own) return 0;
  let ticks = [11, 12, 13, 14].reduce((sum, field) => sum + Number(own[field]), 0);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields && Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * TICK_MICROS;
}
