/** Job `connect` (queue `connections`): `{ owner, connector, fields, name? }` → ConnectResult. */
import type { Job } from 'bullmq';
import { connect } from '../src/connections/connect.js';
import type { Services } from '../src/connections/services.js';
import { secretFieldKeys } from '../src/definitions/fields.js';
import { connectPayloadSchema } from '../src/queue/schemas.js';
import type { JobDefinition } from './job.js';

/**
 * Producers in other languages may send secret values in clear. Before anything else, the worker replaces them in
 * the stored job data with sealed values, so a retry still works and Redis no longer holds the secret. When the
 * connector is unknown, which fields are secret cannot be told: every string field is sealed (a secret need not
 * have a secret-looking name, and the job fails anyway).
 */
async function sealOnPickup(job: Job, services: Services): Promise<void> {
  const fields: unknown = job.data?.fields;
  if (!fields || typeof fields !== 'object') return;
  const connector = await services.cache.connector(String(job.data.connector)).catch(() => null);
  const secretKeys = connector ? secretFieldKeys(connector.stored.definition) : [];
  let changed = false;
  const sealed: Record<string, unknown> = { ...(fields as Record<string, unknown>) };
  for (const [key, value] of Object.entries(sealed)) {
    const secret = !connector || secretKeys.includes(key);
    if (secret && typeof value === 'string' && !services.keys.isSealed(value)) {
      sealed[key] = services.keys.seal(value);
      changed = true;
    }
  }
  if (changed) await job.updateData({ ...job.data, fields: sealed });
}

export const connectJob: JobDefinition<'connect'> = {
  name: 'connect',
  schema: connectPayloadSchema,
  onPickup: sealOnPickup,
  handle: (data, { services, job }) => connect(services, data, (step) => job.updateProgress({ step })),
};
