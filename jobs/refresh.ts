/** Job `refresh` (queue `connections`): `{ owner, connectionId, force? }` → RefreshResult. Also the scheduled renewal. */
import { refreshConnection } from '../src/connections/refresh.js';
import { refreshPayloadSchema } from '../src/queue/schemas.js';
import type { JobDefinition } from './job.js';

export const refreshJob: JobDefinition<'refresh'> = {
  name: 'refresh',
  schema: refreshPayloadSchema,
  handle: (data, { services, job }) => refreshConnection(services, data, job.attemptsStarted),
};
