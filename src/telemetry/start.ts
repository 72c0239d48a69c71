/**
 * Starts tracing when the OTEL_* variables switch it on. The SDK is imported here, on demand: a process with tracing
 * off never loads it (nor the exporters), and the helpers of `tracing.ts` stay no-ops.
 */
import type { RunningTracing, StartTracingOptions } from './sdk.js';
import type { TracingSettings } from './settings.js';

export type { RunningTracing, StartTracingOptions };

/** Null, and nothing loaded, when `settings` is null (tracing off). */
export async function startTracing(
  settings: TracingSettings | null,
  options: StartTracingOptions = {},
): Promise<RunningTracing | null> {
  if (settings === null) return null;
  const { startSdk } = await import('./sdk.js');
  return startSdk(settings, options);
}
