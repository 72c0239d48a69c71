/** What every process entry point shares: config, logger, runtime, and a graceful shutdown on SIGTERM/SIGINT. */
import { exitOnConfigError, loadConfig } from '../src/config.js';
import { createLogger, type Logger } from '../src/log.js';
import { redisProblem } from '../src/queue/probe.js';
import { createRuntime, type Runtime, type RuntimeOptions, redisTargetOf } from '../src/runtime.js';
import { describeStore } from '../src/store/index.js';
import { tracingSettings } from '../src/telemetry/settings.js';
import { startTracing } from '../src/telemetry/start.js';
import { startProblem } from './start-problems.js';

export interface Part {
  name: string;
  close(): Promise<void>;
}

/** Runs `start` on a fresh runtime; on SIGTERM/SIGINT closes every part it returned, then the runtime, then exits. */
export async function runProcess(
  start: (runtime: Runtime, log: Logger) => Promise<Part[]>,
  options: RuntimeOptions = {},
): Promise<void> {
  const config = exitOnConfigError(() => loadConfig());
  // Before anything retries: with no Redis, say how to get one and stop, rather than warn at every reconnection.
  const noRedis = await redisProblem(redisTargetOf(config));
  if (noRedis) exitWith(noRedis);
  // First of all: the logger, the runtime's queues, workers and ports are traced only when tracing is on at their
  // creation.
  const settings = tracingSettings(config);
  const tracing = await startTracing(settings);
  const log = createLogger({ level: config.logLevel });
  let runtime: Runtime;
  let parts: Part[];
  try {
    if (settings) {
      const { url, protocol, sampler, samplerRatio } = settings;
      log.info({ endpoint: new URL(url).origin, protocol, sampler, samplerRatio }, 'tracing on');
    }
    runtime = await createRuntime(config, log, options);
    log.info({ store: describeStore(config.databaseUrl) }, 'store opened');
    parts = await start(runtime, log);
  } catch (error) {
    const problem = startProblem(error, config.databaseUrl);
    if (problem) exitWith(problem);
    log.fatal({ err: { message: (error as Error).message } }, 'could not start');
    process.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    for (const part of parts)
      await part
        .close()
        .catch((error: Error) => log.error({ part: part.name, err: { message: error.message } }, 'close failed'));
    await runtime.close();
    await tracing
      ?.shutdown()
      .catch((error: Error) => log.warn({ err: { message: error.message } }, 'tracing flush failed'));
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function exitWith(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}
