/** Gives the scenarios a file for their rows and prints the table once every scenario has run. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { formatReport } from '../support/report.js';

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-cc-reliability-'));
  const file = join(dir, 'rows.jsonl');
  project.provide('reliabilityReport', file);
  return () => {
    process.stdout.write(formatReport(file));
    rmSync(dir, { recursive: true, force: true });
  };
}
