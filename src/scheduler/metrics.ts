/**
 * Renewal counters for the metrics endpoint: `oauth_cc_renewals_total{connector, outcome}` in prom-client's default
 * registry, fed by the domain's `renewed` hook. Pass `renewalMetrics` as (part of) the runtime's observer in the
 * processes that run refresh jobs (the workers).
 */
import { Counter, register } from 'prom-client';
import type { DomainObserver } from '../domain/ports.js';

const NAME = 'oauth_cc_renewals_total';

/** Registered once per process, even if this module is loaded twice (tests, tsx and a build side by side). */
export const renewalsCounter: Counter<'connector' | 'outcome'> =
  (register.getSingleMetric(NAME) as Counter<'connector' | 'outcome'> | undefined) ??
  new Counter({
    name: NAME,
    help: 'Token renewals by connector and outcome (ok, failed)',
    labelNames: ['connector', 'outcome'],
  });

export const renewalMetrics: Required<Pick<DomainObserver, 'renewed'>> = {
  renewed(connection, outcome) {
    renewalsCounter.inc({ connector: connection.connector, outcome });
  },
};
