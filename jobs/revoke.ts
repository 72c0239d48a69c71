/** Job `revoke` (queue `connections`): `{ owner, connectionId }` → RevokeResult. Idempotent. */
import { revokeConnection } from '../src/connections/revoke.js';
import { revokePayloadSchema } from '../src/queue/schemas.js';
import type { JobDefinition } from './job.js';

export const revokeJob: JobDefinition<'revoke'> = {
  name: 'revoke',
  schema: revokePayloadSchema,
  handle: (data, { services }) => revokeConnection(services, data),
};
