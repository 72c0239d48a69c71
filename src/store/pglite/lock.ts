/**
 * The embedded store's files may be open in one process only: two PGlite instances on one directory each keep their
 * own buffers and would corrupt it, and PGlite does not guard against it. A lock file beside the directory holds the
 * owner's process id; a lock whose process is gone (a crash, or a container restarted with the same pid) is taken
 * over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AppError } from '../../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock at `path` for this process; returns the function that gives it back. */
export function lockDirectory(path: string, dir: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(owner) && owner !== process.pid && alive(owner)) {
      throw new AppError(
        'invalid_input',
        'invalid_config',
        `DATABASE_URL: the embedded store in ${dir} is in use by process ${owner}, and it serves one process; stop that one, or set DATABASE_URL to a PostgreSQL server to run several`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new Error(`could not take the lock ${path}`);
}
