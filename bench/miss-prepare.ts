/**
 * What a cache miss costs the worker after the store read: preparing the entry of a connection not seen before
 * (`prepareConnection`: opening its secret and token, rendering the request defaults, listing the secret forms to
 * redact) and its budget plan, for connections of the benchmark's connector, each prepared once per round as round
 * robin over more connections than the cache holds does. No I/O: CPU of this process only.
 *
 *   npm run bench:miss
 *   npm run bench:miss -- --connections 20000 --rounds 7
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { budgetPlan } from '../src/connections/budgets/plan.js';
import type { LoadedConnector } from '../src/connections/cache.js';
import { sealSecrets, splitSecrets } from '../src/connections/context.js';
import { prepareConnection } from '../src/connections/prepare.js';
import type { Services } from '../src/connections/services.js';
import { tokenPatch } from '../src/connections/token.js';
import { secretFieldKeys, validateFieldValues } from '../src/definitions/fields.js';
import { resolveConnector } from '../src/definitions/resolve.js';
import { type Connection, newConnection } from '../src/domain/model.js';
import { KeyRing } from '../src/secrets/keyring.js';
import { providerConnector } from '../test/support/connectors.js';

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '7' } },
});
const count = Number(values.connections);
const rounds = Number(values.rounds);

const keys = KeyRing.parse(KeyRing.generateKey('bench'));
const definition = providerConnector('http://127.0.0.1:9/', { key: 'bench' });
const resolved = resolveConnector(definition);
const now = new Date();
const connector: LoadedConnector = {
  stored: { definition, version: 1, updatedAt: now },
  resolved,
};
// Only what preparing and planning read: the ring, and a ledger that learned nothing.
const services = { keys, budgets: { ledger: { get: () => undefined } } } as unknown as Services;

/** Connections as the benchmark's seed writes them: validated fields, sealed secret and token. */
function connectionOf(i: number): Connection {
  const id = randomUUID();
  const values = validateFieldValues(definition, { client_id: `bench-${i}`, client_secret: `bench-secret-${i}` });
  const { fields, secrets } = splitSecrets(values, secretFieldKeys(definition));
  const token = {
    accessToken: randomBytes(24).toString('base64url'),
    tokenType: 'Bearer',
    expiresAt: new Date(now.getTime() + 3_600_000),
    refreshToken: null,
    scopes: null,
    meta: {},
  };
  return {
    ...newConnection({ connector: 'bench', owner: 'bench', uniqueId: `bench-${i}`, name: `bench ${i}`, fields }),
    id,
    status: 'active',
    version: 1,
    createdAt: now,
    updatedAt: now,
    secrets: sealSecrets(keys, id, secrets),
    ...tokenPatch(keys, id, token, resolved, now),
  };
}

const connections = Array.from({ length: count }, (_, i) => connectionOf(i));

/** µs per miss of one round over every connection, each with a new entry as a miss makes. */
function round(): number {
  const started = process.hrtime.bigint();
  for (const connection of connections) {
    const loaded = { connection, connector, memo: new Map() };
    prepareConnection(services, loaded);
    budgetPlan(services, loaded);
  }
  return Number(process.hrtime.bigint() - started) / count / 1000;
}

round(); // warm-up: compiled code, not the first round's
const times = Array.from({ length: rounds }, round).sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] as number;
process.stdout.write(
  `preparing a missed connection (${count} connections, ${rounds} rounds): median ${median.toFixed(1)} µs, ` +
    `fastest round ${(times[0] as number).toFixed(1)} µs\n`,
);
