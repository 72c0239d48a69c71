/**
 * The reliability table: every scenario records one row (in a file shared by the test processes), and the global
 * setup of `npm run test:reliability` prints them all at the end of the run.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { inject } from 'vitest';
import type { Audit } from './load.js';

declare module 'vitest' {
  export interface ProvidedContext {
    reliabilityReport: string;
  }
}

export interface ScenarioRow {
  scenario: string;
  jobs: number;
  completed: number;
  failedWithReason: number;
  lost: number;
  duplicates: number;
  verdict: 'pass' | 'FAIL';
  problems: string[];
}

/** Records a scenario's row; its verdict is FAIL when the audit or the scenario's own checks found a problem. */
export function recordScenario(scenario: string, audit: Audit, extraProblems: string[] = []): ScenarioRow {
  const problems = [...audit.problems, ...extraProblems];
  const row: ScenarioRow = {
    scenario,
    jobs: audit.jobs,
    completed: audit.completed,
    failedWithReason: audit.failedWithReason,
    lost: audit.lost,
    duplicates: audit.duplicates,
    verdict: problems.length === 0 ? 'pass' : 'FAIL',
    problems,
  };
  appendFileSync(inject('reliabilityReport'), `${JSON.stringify(row)}\n`);
  return row;
}

const COLUMNS: Array<[keyof ScenarioRow, string]> = [
  ['scenario', 'scenario'],
  ['jobs', 'jobs'],
  ['completed', 'completed'],
  ['failedWithReason', 'failed with reason'],
  ['lost', 'lost'],
  ['duplicates', 'duplicates'],
  ['verdict', 'verdict'],
];

/** The rows of `file` as a text table, problems listed under it. */
export function formatReport(file: string): string {
  const rows = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ScenarioRow)
        .sort((a, b) => a.scenario.localeCompare(b.scenario))
    : [];
  if (rows.length === 0) return 'Reliability: no scenario recorded a result.\n';
  const cells = rows.map((row) => COLUMNS.map(([key]) => String(row[key])));
  const widths = COLUMNS.map(([, title], i) => Math.max(title.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) =>
    `| ${values.map((value, i) => (i === 0 ? value.padEnd(widths[i]!) : value.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  const out = ['', 'Reliability', line(COLUMNS.map(([, title]) => title)), rule, ...cells.map(line)];
  for (const row of rows) for (const problem of row.problems) out.push(`  ${row.scenario}: ${problem}`);
  return `${out.join('\n')}\n`;
}
