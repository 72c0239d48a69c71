/**
 * connect: fields → token → test API → one connection per (connector, owner, unique identifier).
 * Nothing is stored until the token and the test have succeeded, so a failed connect leaves no partial connection.
 */
import { secretFieldKeys, validateFieldValues } from '../definitions/fields.js';
import { renderText, type TemplateContext } from '../definitions/templates.js';
import { type LastTest, newConnection } from '../domain/model.js';
import type { ConnectCommand, ConnectResult } from '../domain/use-cases.js';
import { AppError, isAppError } from '../errors.js';
import { connectEvents } from '../events/event.js';
import { requestToken } from '../oauth/client.js';
import { sealSecrets, secretValues, splitSecrets } from './context.js';
import { openJobFields } from './job-fields.js';
import type { Services } from './services.js';
import { isExpiredAnswer, pickTestValues, sendTestRequest, testFailure } from './test-api.js';
import { tokenEndpointSpec, tokenPatch } from './token.js';

export type ConnectProgress = 'token' | 'test' | 'saved';

export async function connect(
  services: Services,
  payload: ConnectCommand,
  progress: (step: ConnectProgress) => Promise<void> = async () => {},
): Promise<ConnectResult> {
  const connector = await loadConnector(services, payload.connector);
  const definition = connector.stored.definition;
  const secretKeys = secretFieldKeys(definition);
  const values = validateFieldValues(
    definition,
    await openJobFields(services, definition.key, secretKeys, payload.fields),
  );
  const context: TemplateContext = { fields: values };

  const issuedAt = new Date();
  const tokens = await requestToken(
    tokenEndpointSpec(connector.resolved, context, services.settings.tokenRequestTimeoutMs),
    services.transport,
  ).catch((error: unknown) => {
    services.observer.tokenRequested?.(
      definition.key,
      isAppError(error) && error.kind === 'transient' ? 'transient' : 'permanent',
    );
    throw error;
  });
  services.observer.tokenRequested?.(definition.key, 'ok');
  await progress('token');
  Object.assign(context, {
    access_token: tokens.accessToken,
    token_type: tokens.tokenType ?? undefined,
    token: tokens.meta,
  });

  let testValues: Record<string, unknown> = {};
  let lastTest: LastTest | null = null;
  if (connector.resolved.test) {
    const response = await sendTestRequest(
      services.transport,
      connector.resolved,
      context,
      services.settings.tokenRequestTimeoutMs,
    );
    if (response.status < 200 || response.status >= 300 || isExpiredAnswer(connector.resolved, response)) {
      throw testFailure(response, connector.resolved, context);
    }
    testValues = pickTestValues(connector.resolved, response, secretValues(context, secretKeys));
    lastTest = { ok: true, status: response.status, at: new Date() };
    context.test = testValues;
  }
  await progress('test');

  const uniqueId = renderText(connector.resolved.uniqueIdentifier, context).trim();
  if (uniqueId === '') {
    throw new AppError(
      'permanent',
      'empty_unique_identifier',
      `uniqueIdentifier ${connector.resolved.uniqueIdentifier} rendered empty; check the connector's template and the test API's answer (a value holding a secret of the connection is never used)`,
    );
  }
  const { fields, secrets } = splitSecrets(values, secretKeys);
  const { connection, created } = await services.store.connections.upsert(
    newConnection(
      {
        connector: definition.key,
        owner: payload.owner,
        uniqueId,
        name: payload.name ?? renderText(connector.resolved.connectionName, context).trim(),
        fields,
      },
      { testValues, lastTest },
    ),
    connectEvents({ owner: payload.owner, connector: definition.key, status: 'active' }),
    // Sealed values are bound to the connection's id, known only inside the upsert.
    (id) => ({
      secrets: sealSecrets(services.keys, id, secrets),
      ...tokenPatch(services.keys, id, tokens, connector.resolved, issuedAt),
    }),
  );
  await services.cache.publish(connection);
  await services.renewals.schedule(connection);
  await progress('saved');
  return {
    connectionId: connection.id,
    created,
    name: connection.name,
    uniqueId: connection.uniqueId,
    status: 'active',
    expiresAt: connection.expiresAt?.toISOString() ?? null,
  };
}

async function loadConnector(services: Services, key: string) {
  try {
    return await services.cache.connector(key);
  } catch (error) {
    if (isAppError(error) && error.kind === 'not_found') {
      throw new AppError(
        'invalid_input',
        'unknown_connector',
        `connector: unknown connector "${key}"; apply its definition with oauth-cc connectors apply`,
      );
    }
    throw error;
  }
}
