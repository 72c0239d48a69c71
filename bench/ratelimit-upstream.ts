/**
 * The rate-limit benchmark's upstream, in its own process: the local test provider for tokens (`BENCH_CLIENTS`
 * clients `bench-<i>` / `bench-secret-<i>`) and the rate-limited API (`test/budgets/limited-api.ts`: a token bucket
 * per bearer token, 429 with `Retry-After` beyond it).
 *
 * IPC: sends `{ type: 'ready', providerUrl, apiUrl }`; `{ type: 'reset', options }` clears the API's counters and
 * buckets and sets its limits; `{ type: 'stats' }` is answered with `{ type: 'stats', ok, rejected }`.
 */
import { type LimitedApiOptions, startLimitedApi } from '../test/budgets/limited-api.js';
import { startProvider } from '../test/support/provider.js';

const provider = await startProvider();
const clients = Number(process.env.BENCH_CLIENTS ?? '0');
for (let i = 0; i < clients; i++)
  provider.registerClient({ clientId: `bench-${i}`, clientSecret: `bench-secret-${i}`, lifetimeSeconds: 3600 });
const api = await startLimitedApi({ perSecond: 50, burst: 10 });

process.on('message', (message: { type: string; options?: Partial<LimitedApiOptions> }) => {
  if (message.type === 'reset') {
    api.reset(message.options);
    process.send?.({ type: 'reset' });
  }
  if (message.type === 'stats') process.send?.({ type: 'stats', ok: api.stats.ok, rejected: api.stats.rejected });
});
process.on('SIGTERM', () => void Promise.all([provider.close(), api.close()]).finally(() => process.exit(0)));
process.send?.({ type: 'ready', providerUrl: provider.url, apiUrl: api.url });
