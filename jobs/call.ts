/** Job `call` (queue `calls`): an API request through a connection → CallResult. */
import { callApi } from '../src/connections/call.js';
import { callPayloadSchema } from '../src/queue/schemas.js';
import { waitState } from './budget-wait.js';
import type { JobDefinition } from './job.js';

export const callJob: JobDefinition<'call'> = {
  name: 'call',
  schema: callPayloadSchema,
  handle: (data, { services, job, finalAttempt }) => {
    const budget = waitState(job);
    return callApi(services, data, budget ? { finalAttempt, budget } : { finalAttempt });
  },
};
