/**
 * test: proves a stored connection still works. Uses a valid token (renewing it first if due); when the test API says
 * the token expired, renews once and asks again. The outcome is recorded on the connection: `ok: false` (a non-2xx
 * answer, or the provider refusing the credentials) puts it in `error`; `ok: true` makes it `active`.
 * Transient failures are thrown, so the job retries.
 */

import type { Connection } from '../domain/model.js';
import type { TestCommand, TestResult } from '../domain/use-cases.js';
import { isAppError } from '../errors.js';
import type { LoadedConnector } from './cache.js';
import { connectionContext } from './context.js';
import { assertUsable, loadOwned, patchConnection } from './load.js';
import { ensureUsableToken, renewToken } from './renew.js';
import type { Services } from './services.js';
import { isExpiredAnswer, sendTestRequest, testFailure } from './test-api.js';

type Outcome = Omit<TestResult, 'connectionId'>;

export async function testConnection(services: Services, payload: TestCommand): Promise<TestResult> {
  const { connection, connector } = await loadOwned(services, payload.owner, payload.connectionId);
  assertUsable(connection, true);
  let outcome: Outcome;
  try {
    outcome = await runTest(services, connection, connector);
  } catch (error) {
    if (!isAppError(error) || error.kind !== 'permanent' || error.code.startsWith('connection_')) throw error;
    outcome = { ok: false, status: error.status ?? null, error: error.message };
  }
  await record(services, connection, outcome);
  return { connectionId: connection.id, ...outcome };
}

async function runTest(services: Services, start: Connection, connector: LoadedConnector): Promise<Outcome> {
  await ensureUsableToken(services, start, { allowError: true });
  let connection = (await services.store.connections.get(start.id)) ?? start;
  if (!connector.resolved.test) {
    // Without a test API, the proof is that the provider still issues a token for these credentials.
    await renewToken(services, connection, { force: true, allowError: true });
    return { ok: true, status: null };
  }
  const timeoutMs = services.settings.tokenRequestTimeoutMs;
  let context = connectionContext(services.keys, connection);
  let response = await sendTestRequest(services.transport, connector.resolved, context, timeoutMs);
  if (isExpiredAnswer(connector.resolved, response)) {
    ({ connection } = await renewToken(services, connection, { force: true, allowError: true }));
    context = connectionContext(services.keys, connection);
    response = await sendTestRequest(services.transport, connector.resolved, context, timeoutMs);
  }
  if (response.status >= 200 && response.status < 300 && !isExpiredAnswer(connector.resolved, response)) {
    return { ok: true, status: response.status };
  }
  throw testFailure(response, connector.resolved, context);
}

async function record(services: Services, connection: Connection, outcome: Outcome): Promise<void> {
  const at = new Date();
  const lastTest = { ...outcome, at };
  await patchConnection(services, connection, (current) => {
    if (current.status === 'revoking' || current.status === 'revoked') return null;
    if (outcome.ok) {
      const lastError = current.status === 'error' ? null : current.lastError;
      return { lastTest, status: 'active', lastError, events: [{ type: 'connection.tested', ok: true }] };
    }
    const lastError = { code: 'test_failed', message: outcome.error ?? 'test failed', at };
    const broke = { type: 'connection.error' as const, code: lastError.code, description: lastError.message };
    return {
      lastTest,
      status: 'error',
      renewAt: null,
      lastError,
      // Only a connection that just broke is announced as an error; a broken one failing again is only tested.
      events: [{ type: 'connection.tested', ok: false }, ...(current.status === 'error' ? [] : [broke])],
    };
  });
}
