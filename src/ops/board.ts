/**
 * Bull Board as a Fastify plugin: the queues at `BOARD_PATH`, behind the board's credentials, with secrets masked.
 *
 * The authentication hook is added in the plugin's own scope, before Bull Board's routes are registered inside it,
 * so it covers the page, the JSON API and the static assets alike (Bull Board has no authentication of its own).
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log.js';
import { type BoardCredentials, challenge, isAuthorized } from './auth.js';
import { type ConnectorSecretFields, maskJobData, maskJobValue } from './mask.js';

export const BOARD_PATH = '/admin/queues';

export interface BoardOptions {
  queues: Queue[];
  credentials: BoardCredentials;
  /** Bull Board's read-only mode: jobs can be looked at, not retried, removed or cleaned. */
  readOnly: boolean;
  secretFields: ConnectorSecretFields;
  log: Logger;
}

/** Registers the board under `BOARD_PATH` on `app`. */
export async function registerBoard(app: FastifyInstance, options: BoardOptions): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  const secretFieldsOf = options.secretFields.lookup;
  createBullBoard({
    queues: options.queues.map((queue) => {
      const adapter = new BullMQAdapter(queue, { readOnlyMode: options.readOnly, allowRetries: !options.readOnly });
      adapter.setFormatter('data', (data) => maskJobData(data, secretFieldsOf));
      adapter.setFormatter('returnValue', maskJobValue);
      adapter.setFormatter('progress', maskJobValue);
      return adapter;
    }),
    // @bull-board/fastify 9.10.1 declares its own copy of @bull-board/api 9.10.1: same shape, distinct private types.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'oauth-cc', hideDocsLink: true } },
  });
  serverAdapter.setBasePath(BOARD_PATH);

  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        if (isAuthorized(request.headers.authorization, options.credentials)) return;
        return reply
          .code(401)
          .header('www-authenticate', challenge(options.credentials))
          .send({ error: 'unauthorized' });
      });
      scope.addHook('preHandler', async () => {
        // On failure the last copy stays; fields of connectors it does not know are hidden whole.
        await options.secretFields.refresh().catch((error: Error) => {
          options.log.warn({ err: { message: error.message } }, 'board: could not read connector definitions');
        });
      });
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: BOARD_PATH },
  );
}
