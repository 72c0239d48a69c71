/** The human-readable form of a `connectors try` report (the `--json` form is the report itself). */
import type { PrintedExchange } from './mask.js';
import type { TryReport } from './try.js';

function exchangeLines(exchange: PrintedExchange): string[] {
  const lines = [`→ ${exchange.step}: ${exchange.method} ${exchange.url}`];
  for (const [name, value] of Object.entries(exchange.headers)) lines.push(`    ${name}: ${value}`);
  if (Array.isArray(exchange.params) && exchange.params.every((item) => typeof item === 'string')) {
    lines.push('  form:', ...exchange.params.map((param) => `    ${param}`));
  } else if (exchange.params !== undefined) {
    lines.push(`  body: ${typeof exchange.params === 'string' ? exchange.params : JSON.stringify(exchange.params)}`);
  }
  if (exchange.status !== undefined) {
    lines.push(`← ${exchange.status}`);
    for (const [name, value] of Object.entries(exchange.responseHeaders ?? {})) lines.push(`    ${name}: ${value}`);
    if (exchange.body) lines.push(`  body: ${exchange.body}`);
  }
  if (exchange.error) lines.push(`← no answer: ${exchange.error}`);
  return [...lines, ''];
}

function tokenLines(token: NonNullable<TryReport['token']>): string[] {
  const lifetime =
    token.lifetimeSeconds === null
      ? 'does not expire, never renewed'
      : `lifetime ${token.lifetimeSeconds} s, expires ${token.expiresAt}, would be renewed at ${token.renewAt}`;
  return [
    `Token: ${token.type ?? '(no token_type)'}, ${lifetime}${token.scopes ? `, scopes: ${token.scopes.join(' ')}` : ''}`,
  ];
}

export function formatReport(report: TryReport): string[] {
  const lines = [`Trying connector ${report.connector}; nothing is stored.`, ''];
  for (const exchange of report.exchanges) lines.push(...exchangeLines(exchange));
  if (report.token) lines.push(...tokenLines(report.token));
  if (report.connectionName !== undefined) lines.push(`Connection name: ${report.connectionName}`);
  if (report.uniqueId !== undefined) lines.push(`Unique identifier: ${report.uniqueId}`);
  if (report.failure) lines.push(`FAILED at ${report.failure.step}: ${report.failure.message}`);
  if (report.advice.length > 0) lines.push('Advice:', ...report.advice.map((line) => `  - ${line}`));
  if (report.probe?.length === 0) {
    lines.push('Probe: nothing to try; the client authentication of this definition uses no client secret.');
  } else if (report.probe) {
    lines.push('Probe (one token request each):');
    for (const attempt of report.probe) {
      lines.push(`  - clientAuth ${attempt.clientAuth}, format ${attempt.format}: ${attempt.outcome}`);
    }
    const accepted = report.probe.find((attempt) => attempt.accepted);
    lines.push(
      accepted
        ? `The provider accepted clientAuth "${accepted.clientAuth}" with format "${accepted.format}": set token.clientAuth and token.format to these.`
        : 'The provider accepted none of them: check the client id and secret.',
    );
  }
  if (report.ok) lines.push('OK: connect would succeed with this definition.');
  return lines;
}
