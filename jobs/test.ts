/** Job `test` (queue `connections`): `{ owner, connectionId }` → TestResult. */
import { testConnection } from '../src/connections/test.js';
import { testPayloadSchema } from '../src/queue/schemas.js';
import type { JobDefinition } from './job.js';

export const testJob: JobDefinition<'test'> = {
  name: 'test',
  schema: testPayloadSchema,
  handle: (data, { services }) => testConnection(services, data),
};
