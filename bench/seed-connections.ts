/**
 * The benchmark's connections, made without connect jobs: connecting 100,000 connections one job each takes longer
 * than the benchmark itself, and `connect` is not what it measures. Each upstream client `bench-<i>` gets one token
 * from the upstream's token endpoint; our store gets a connection holding it, written as `connect` writes one
 * (validated fields, sealed secrets, `tokenPatch`, its version published), and the baseline is handed the same token for the same id.
 */
import { request } from 'undici';
import { sealSecrets, splitSecrets } from '../src/connections/context.js';
import { tokenPatch } from '../src/connections/token.js';
import { secretFieldKeys, validateFieldValues } from '../src/definitions/fields.js';
import { resolveConnector } from '../src/definitions/resolve.js';
import type { ConnectorDefinition } from '../src/definitions/schema.js';
import { newConnection } from '../src/domain/model.js';
import type { Runtime } from '../src/runtime.js';

/** Tokens fetched and connections written at once. */
const PARALLEL = 100;

/** Creates `count` connections of `definition` (already applied) for `owner`; returns each one's id and token. */
export async function seedConnections(
  runtime: Runtime,
  definition: ConnectorDefinition,
  owner: string,
  upstreamUrl: string,
  count: number,
): Promise<Map<string, string>> {
  const resolved = resolveConnector(definition);
  const tokens = new Map<string, string>();
  const seedOne = async (i: number) => {
    const clientId = `bench-${i}`;
    const issuedAt = new Date();
    const answer = await fetchToken(upstreamUrl, clientId, `bench-secret-${i}`);
    const values = validateFieldValues(definition, { client_id: clientId, client_secret: `bench-secret-${i}` });
    const { fields, secrets } = splitSecrets(values, secretFieldKeys(definition));
    const tokenSet = {
      accessToken: answer.access_token,
      tokenType: answer.token_type,
      expiresAt: new Date(issuedAt.getTime() + answer.expires_in * 1000),
      refreshToken: null,
      scopes: null,
      meta: {},
    };
    const { connection } = await runtime.store.connections.upsert(
      newConnection({ connector: definition.key, owner, uniqueId: clientId, name: `bench ${i}`, fields }),
      undefined,
      (id) => ({
        secrets: sealSecrets(runtime.keys, id, secrets),
        ...tokenPatch(runtime.keys, id, tokenSet, resolved, issuedAt),
      }),
    );
    // As `connect` does: every process's cache learns the new version, and a miss finds it published.
    await runtime.services.cache.publish(connection);
    tokens.set(connection.id, answer.access_token);
  };
  for (let from = 0; from < count; from += PARALLEL)
    await Promise.all(Array.from({ length: Math.min(PARALLEL, count - from) }, (_, k) => seedOne(from + k)));
  return tokens;
}

interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
}

async function fetchToken(upstreamUrl: string, clientId: string, clientSecret: string): Promise<TokenAnswer> {
  const response = await request(`${upstreamUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (response.statusCode !== 200) throw new Error(`token for ${clientId}: HTTP ${response.statusCode}`);
  return (await response.body.json()) as TokenAnswer;
}
