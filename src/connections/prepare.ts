/**
 * What every API call of a connection needs, derived once per connection version and kept in the cache entry:
 * opened secrets and token, rendered request defaults, compiled allowed URLs.
 */
import { secretFieldKeys } from '../definitions/fields.js';
import type { ResolvedConnector } from '../definitions/resolve.js';
import { renderUrl, type TemplateContext, templateVariables } from '../definitions/templates.js';
import { type AllowedUrl, compileAllowedUrls } from '../http/guard.js';
import { type RenderedDefaults, renderDefaults } from './api-request.js';
import type { LoadedConnection } from './cache.js';
import { connectionContext, secretValues } from './context.js';
import type { Services } from './services.js';

export interface PreparedConnection {
  defaults: RenderedDefaults;
  allowed: AllowedUrl[];
  /** Clear secrets and token of this connection, longest first, to keep them out of answers, redirects and logs. */
  secrets: string[];
}

const MEMO_KEY = 'prepared';

/** Allowed URLs of connectors whose templates name no connection value: compiled once per definition, not per miss. */
const staticAllowedUrls = new WeakMap<ResolvedConnector, AllowedUrl[]>();

function allowedUrls(resolved: ResolvedConnector, context: TemplateContext): AllowedUrl[] {
  const known = staticAllowedUrls.get(resolved);
  if (known) return known;
  const compiled = compileAllowedUrls(resolved.allowedUrls.map((template) => renderUrl(template, context)));
  if (resolved.allowedUrls.every((template) => templateVariables(template).length === 0)) {
    staticAllowedUrls.set(resolved, compiled);
  }
  return compiled;
}

export function prepareConnection(services: Services, loaded: LoadedConnection): PreparedConnection {
  const memo = loaded.memo.get(MEMO_KEY) as PreparedConnection | undefined;
  if (memo) return memo;
  const { resolved, stored } = loaded.connector;
  const context = connectionContext(services.keys, loaded.connection);
  const secrets = secretValues(context, secretFieldKeys(stored.definition));
  const prepared: PreparedConnection = {
    defaults: renderDefaults(resolved, context),
    allowed: allowedUrls(resolved, context),
    secrets,
  };
  loaded.memo.set(MEMO_KEY, prepared);
  return prepared;
}
