/** Job `connect` (queue `connections`): `{ owner, connector, fields, name? }` → ConnectResult. */
import type { Job } from 'bullmq';
import { connect } from '../src/connections/connect.js';
import { sealJobFields } from '../src/connections/job-fields.js';
import type { Services } from '../src/connections/services.js';
import { secretFieldKeys } from '../src/definitions/fields.js';
import { AppError } from '../src/errors.js';
import { connectPayloadSchema } from '../src/queue/schemas.js';
import type { JobDefinition } from './job.js';

/**
 * Producers in other languages may send secret values in clear, and producers with the public key send them sealed
 * for transport. Before anything else, the worker writes the fields over with values sealed by the at-rest ring
 * (`sealJobFields`), so a retry still works and Redis holds neither the secret nor the transport envelope. When the
 * connector is unknown, which fields are secret cannot be told: every string field is sealed (a secret need not have
 * a secret-looking name, and the job fails anyway). When the definition cannot be read now (Redis or the store
 * down), nothing is written and the attempt fails as transient: sealing every field then would refuse the retry,
 * whose non-secret fields would hold sealed values.
 */
async function sealOnPickup(job: Job, services: Services): Promise<void> {
  const fields: unknown = job.data?.fields;
  if (!fields || typeof fields !== 'object') return;
  const key = String(job.data.connector);
  const connector = await services.cache.connector(key).catch((error: unknown) => {
    if (error instanceof AppError && error.kind === 'not_found') return null;
    throw error;
  });
  const secretKeys = connector ? secretFieldKeys(connector.stored.definition) : null;
  const sealed = await sealJobFields(services, key, secretKeys, fields as Record<string, unknown>);
  if (sealed) await job.updateData({ ...job.data, fields: sealed });
}

export const connectJob: JobDefinition<'connect'> = {
  name: 'connect',
  schema: connectPayloadSchema,
  onPickup: sealOnPickup,
  handle: (data, { services, job }) => connect(services, data, (step) => job.updateProgress({ step })),
};
