/**
 * The benchmark's upstream API, in its own process: the local test provider (`test/support/provider.ts`) with
 * `BENCH_CLIENTS` clients registered as `bench-<i>` / `bench-secret-<i>` (one-hour tokens). It answers `/api/*` with
 * JSON after checking the bearer token, and counts every request to `/oauth/token`.
 *
 * IPC: sends `{ type: 'ready', url }`; answers `{ type: 'stats' }` with `{ type: 'stats', tokenRequests,
 * apiRequests }`; `{ type: 'reset' }` zeroes the counters.
 */
import { startProvider } from '../test/support/provider.js';

const provider = await startProvider();
const clients = Number(process.env.BENCH_CLIENTS ?? '0');
for (let i = 0; i < clients; i++)
  provider.registerClient({ clientId: `bench-${i}`, clientSecret: `bench-secret-${i}`, lifetimeSeconds: 3600 });

process.on('message', (message: { type: string }) => {
  if (message.type === 'reset') provider.reset();
  if (message.type === 'stats') {
    const { tokenRequests, apiRequests } = provider.stats;
    process.send?.({ type: 'stats', tokenRequests, apiRequests });
  }
});
process.on('SIGTERM', () => void provider.close().finally(() => process.exit(0)));
process.send?.({ type: 'ready', url: provider.url });
