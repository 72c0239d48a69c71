/**
 * `--probe`: asks for a token with each other client authentication and body format a secret-based definition could
 * use, one real request each, until the provider accepts one.
 */
import { tokenEndpointSpec } from '../connections/token.js';
import { resolveConnector } from '../definitions/resolve.js';
import type { ClientAuthMethod, ConnectorDefinition } from '../definitions/schema.js';
import type { TemplateContext } from '../definitions/templates.js';
import { isAppError } from '../errors.js';
import { requestToken } from '../oauth/client.js';
import type { Recorder } from './recorder.js';

type Format = 'form' | 'json' | 'query';

export interface ProbeAttempt {
  clientAuth: ClientAuthMethod;
  format: Format;
  accepted: boolean;
  /** The provider's answer in one line, when refused. */
  outcome: string;
}

const SECRET_METHODS: ClientAuthMethod[] = ['basic', 'basic_raw', 'body'];
const FORMATS: Format[] = ['form', 'json'];

/** The combinations to try after (`method`, `format`) was refused: other methods first, then other formats. */
export function probeCandidates(method: ClientAuthMethod, format: Format): Array<[ClientAuthMethod, Format]> {
  if (!SECRET_METHODS.includes(method)) return [];
  const formats = [format, ...FORMATS.filter((other) => other !== format)];
  return formats.flatMap((f) =>
    SECRET_METHODS.filter((m) => !(m === method && f === format))
      // The query format would put a body-sent secret in the URL: never tried.
      .filter((m) => !(m === 'body' && f === 'query'))
      .map((m): [ClientAuthMethod, Format] => [m, f]),
  );
}

export async function probe(
  definition: ConnectorDefinition,
  context: TemplateContext,
  timeoutMs: number,
  recorder: Recorder,
): Promise<ProbeAttempt[]> {
  const resolved = resolveConnector(definition);
  const attempts: ProbeAttempt[] = [];
  for (const [clientAuth, format] of probeCandidates(resolved.token.clientAuth, resolved.token.format)) {
    const variant = resolveConnector({ ...definition, token: { ...definition.token, clientAuth, format } });
    const spec = tokenEndpointSpec(variant, context, timeoutMs);
    try {
      await requestToken(spec, recorder.transport(`probe ${clientAuth}/${format}`));
      attempts.push({ clientAuth, format, accepted: true, outcome: 'accepted' });
      break;
    } catch (error) {
      attempts.push({ clientAuth, format, accepted: false, outcome: isAppError(error) ? error.message : 'failed' });
    }
  }
  return attempts;
}
