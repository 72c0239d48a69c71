/**
 * The budgets of a connection's calls: its connector's declared `rateLimits` and `concurrency`, and what this
 * process learned from the connection's answers. Declared scopes are rendered once per connection version (memo);
 * a connection without a declaration and without anything learned has no plan, and its calls pass without a look
 * at Redis.
 *
 * Scope keys: `connection` is the connection; `connector` every connection of the connector; a template scope the
 * rendered value within one connector and one owner, so no tenant ever spends or reads another tenant's budget.
 */
import { renderText } from '../../definitions/templates.js';
import type { LoadedConnection } from '../cache.js';
import { connectionContext } from '../context.js';
import type { Services } from '../services.js';
import type { BudgetPlan, BudgetScope } from './gate.js';
import { slotLimit } from './pacing.js';

const MEMO_KEY = 'budget';

/** Learned limits are the connection's: API budgets are usually per client, that is per connection. */
export const connectionScope = (connectionId: string) => `connection:${connectionId}`;

export function budgetPlan(services: Services, loaded: LoadedConnection): BudgetPlan | undefined {
  const declared = declaredPlan(services, loaded);
  const scope = connectionScope(loaded.connection.id);
  const learned = services.budgets.ledger.get(scope);
  // A block that is over, with no quota learned, leaves nothing to pace: back to the path without Redis.
  if (!learned || (learned.quotas.length === 0 && learned.blockedUntil <= Date.now())) return declared;
  const own = declared?.scopes.find((candidate) => candidate.key === scope);
  const merged: BudgetScope = {
    key: scope,
    label: own ? own.label : 'learned from answers',
    limits: [...(own?.limits ?? []), ...learned.quotas.map(slotLimit)],
  };
  const others = declared?.scopes.filter((candidate) => candidate !== own) ?? [];
  return { connector: loaded.connection.connector, ...declared, scopes: [merged, ...others] };
}

function declaredPlan(services: Services, loaded: LoadedConnection): BudgetPlan | undefined {
  if (loaded.memo.has(MEMO_KEY)) return loaded.memo.get(MEMO_KEY) as BudgetPlan | undefined;
  const { rateLimits, concurrency } = loaded.connector.resolved;
  let plan: BudgetPlan | undefined;
  if (rateLimits.length > 0 || concurrency !== undefined) {
    const { connection } = loaded;
    const scopes = new Map<string, BudgetScope>();
    rateLimits.forEach((limit, index) => {
      const { key, label } = scopeOf(services, loaded, limit.scope, index);
      const scope = scopes.get(key) ?? { key, label, limits: [] };
      scope.limits.push(slotLimit(limit));
      scopes.set(key, scope);
    });
    plan = {
      connector: connection.connector,
      scopes: [...scopes.values()],
      ...(concurrency !== undefined && { concurrency: { key: connectionScope(connection.id), limit: concurrency } }),
    };
  }
  loaded.memo.set(MEMO_KEY, plan);
  return plan;
}

function scopeOf(
  services: Services,
  loaded: LoadedConnection,
  scope: string,
  index: number,
): { key: string; label: string } {
  const { connection } = loaded;
  if (scope === 'connection') return { key: connectionScope(connection.id), label: 'connection' };
  if (scope === 'connector') return { key: `connector:${connection.connector}`, label: 'connector' };
  const value = renderText(scope, connectionContext(services.keys, connection));
  return {
    key: `scope:${connection.connector}:${connection.owner.length}:${connection.owner}:${value}`,
    label: `rateLimits[${index}].scope`,
  };
}
