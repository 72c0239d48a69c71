/**
 * Logging (pino) that never writes a secret: every logged object, child binding and serialized error goes through
 * `maskSecretsDeep` with the names of secret-bearing fields, at any depth.
 *
 * Why not pino's `redact.paths`: its paths name fixed depths (`*.client_secret` is one level only), so covering the
 * fields three levels down takes ~80 wildcard paths and costs ~75 µs per line; one walk over the object costs ~2 µs
 * and has no depth limit.
 */
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import { looksSecretName } from './domain/secret-names.js';
import { activeTraceIds, tracingOn } from './telemetry/tracing.js';

export type Logger = PinoLogger;

const REDACTED = '[redacted]';
const SEALED_MARK = '[sealed]';
/** Values sealed at rest (either format) or for transport: ciphertext, but nothing to show. */
const SEALED_VALUE = /^(?:sealed:v[1-3]:|transport:v1:)/;

/** Only plain objects and arrays are walked: class instances (Date, Buffer, Error) keep their own serialization. */
function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` in which values under keys matching `secretKeys` are replaced by "[redacted]" and any sealed
 * value (`sealed:…`, `transport:…`) by "[sealed]", at any depth. Cycles are cut (replaced by "[circular]").
 * @param secretKeys @default looksSecretName
 */
export function maskSecretsDeep(
  value: unknown,
  secretKeys: RegExp | ((key: string) => boolean) = looksSecretName,
): unknown {
  const isSecret = typeof secretKeys === 'function' ? secretKeys : (key: string) => secretKeys.test(key);
  const seen = new WeakSet<object>();
  const walk = (current: unknown): unknown => {
    if (typeof current === 'string') return SEALED_VALUE.test(current) ? SEALED_MARK : current;
    if (current === null || typeof current !== 'object') return current;
    if (seen.has(current)) return '[circular]';
    if (Array.isArray(current)) {
      seen.add(current);
      const copy = current.map(walk);
      seen.delete(current);
      return copy;
    }
    if (!isPlainObject(current)) return current;
    seen.add(current);
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(current)) {
      // A sealed value shows as "[sealed]" under any key: it is ciphertext, and seeing it tells that sealing worked.
      const sealed = typeof inner === 'string' && SEALED_VALUE.test(inner);
      copy[key] = !sealed && isSecret(key) && inner !== null && inner !== undefined ? REDACTED : walk(inner);
    }
    seen.delete(current);
    return copy;
  };
  return walk(value);
}

const maskForLog = <T>(value: T): T => maskSecretsDeep(value) as T;

/** pino's error serializer keeps `type`, `message` and `stack` on a prototype: flatten it so the walk sees them. */
function serializeError(error: Error): unknown {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  const plain: Record<string, unknown> = {};
  for (const key in serialized) plain[key] = serialized[key];
  return maskForLog(plain);
}

export interface LoggerOptions {
  /** A pino level (`trace` … `fatal`) or `silent`. */
  level: string;
  /** Where lines go. @default stdout */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Lines written inside a span carry `trace_id` and `span_id`. @default true when tracing is on at creation */
  traceIds?: boolean;
}

/**
 * pino's `formatters.bindings` sees only the root logger's bindings, not those given to `child()`: mask them on the
 * way in. Children inherit from their parent's object, so this one override covers grandchildren too.
 */
function maskChildBindings(logger: Logger): Logger {
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, maskForLog(bindings), options);
  } as Logger['child'];
  return logger;
}

export function createLogger(options: LoggerOptions): Logger {
  const logger = pino(
    {
      level: options.level,
      formatters: { log: maskForLog },
      serializers: { err: serializeError },
      // Lines written inside a span carry its trace_id and span_id, so logs and traces join.
      ...((options.traceIds ?? tracingOn()) && { mixin: activeTraceIds }),
    },
    options.destination as DestinationStream | undefined,
  );
  return maskChildBindings(logger);
}
