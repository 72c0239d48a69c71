/**
 * Configuration: the only reader of `process.env`. Every setting comes from the environment (and an optional `.env`
 * file, which never overrides a variable that is already set), validated once at start. A bad value stops the process
 * with one line that names the variable and says what is wrong; values are never echoed (URLs carry passwords).
 *
 * An empty variable counts as unset, so `BOARD_USER=` in a `.env` file means "no user".
 */
import { existsSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import { validate as isCronExpression } from 'node-cron';
import { z } from 'zod';
import { isSecureUrl, SECURE_URL_HINT } from './definitions/urls.js';
import { AppError } from './errors.js';
import { LOOPBACK_NETWORKS, parseNetworks } from './http/egress.js';
import { KeyRing } from './secrets/keyring.js';
import { TransportKeyRing } from './secrets/transport.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

const positiveInteger = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^[1-9][0-9]*$/, `must be a positive integer, such as ${fallback}`)
    .transform(Number)
    .refine((n) => n <= max, `must be at most ${max}`)
    .default(fallback);

const boolean = (fallback: boolean) =>
  z
    .string()
    .regex(/^(?:true|false|1|0)$/i, 'must be true, false, 1 or 0')
    .transform((v) => /^(?:true|1)$/i.test(v))
    .default(fallback);

const url = (protocols: string[], message: string) =>
  z.string().refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol), message);

export const configSchema = z
  .object({
    /** `production` requires ENCRYPTION_KEYS. @default "development" */
    NODE_ENV: z
      .enum(['development', 'production', 'test'], 'must be development, production or test')
      .default('development'),
    /** Redis of the BullMQ queues. @default "redis://127.0.0.1:6379" */
    REDIS_URL: url(['redis:', 'rediss:'], 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    /**
     * Seed nodes of a Redis Cluster, `host:port` separated by commas (a few are enough: the client discovers the
     * rest). When set, every connection is a cluster client and REDIS_URL only lends its user, password and TLS
     * (`rediss:`) to the nodes; queue names then carry hash tags (README "Redis Cluster"). Unset: one Redis at REDIS_URL.
     */
    REDIS_CLUSTER_NODES: z
      .string()
      .regex(
        /^[^,:\s]+:[1-9][0-9]{0,4}(?:,[^,:\s]+:[1-9][0-9]{0,4})*$/,
        'must be host:port pairs separated by commas, such as 10.0.0.1:6379,10.0.0.2:6379',
      )
      .transform((value) => value.split(','))
      .optional(),
    /**
     * Call queues; a connection's calls always go to the same one (README "Call partitions"). More than one spreads
     * calls over the masters of a Redis Cluster. Producers and workers must agree on it. @default 1
     */
    CALL_PARTITIONS: positiveInteger(1, 1024),
    /**
     * The call partitions this worker process consumes, such as `0,2` (numbers below CALL_PARTITIONS).
     * @default every partition
     */
    WORKER_CALL_PARTITIONS: z
      .string()
      .regex(/^[0-9]+(?:,[0-9]+)*$/, 'must be partition numbers separated by commas, such as 0,2')
      .transform((value) => [...new Set(value.split(',').map(Number))].sort((a, b) => a - b))
      .optional(),
    /**
     * The store: PostgreSQL or MongoDB, chosen by the scheme, or `pglite://<dir>`, the embedded PostgreSQL (in this
     * process, for this process only). Required in production. @default "pglite://<DATA_DIR>/pglite" outside production
     */
    DATABASE_URL: z
      .string()
      .refine(
        (value) =>
          /^pglite:\/\/./.test(value) ||
          (URL.canParse(value) &&
            ['postgres:', 'postgresql:', 'mongodb:', 'mongodb+srv:'].includes(new URL(value).protocol)),
        'must be a postgres://, postgresql://, mongodb://, mongodb+srv:// or pglite://<dir> URL',
      )
      .optional(),
    /** Where the embedded store keeps its files when DATABASE_URL is unset. @default ".data" */
    DATA_DIR: z.string().default('.data'),
    /**
     * PostgreSQL: the schema holding the tables (unset: `public`). MongoDB: a database name overriding the one in
     * DATABASE_URL's path (unset: the URL's). No default here, so that an unset value can mean each of these.
     */
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be lower case letters, digits and _ (at most 63), such as public')
      .optional(),
    /**
     * Key ring sealing secrets at rest: `"<id>:<base64 of 32 bytes>,…"`, the first key seals, all keys open. Required
     * in production; elsewhere a development key is generated into DEV_KEY_FILE. Create one with `oauth-cc keys generate`.
     */
    ENCRYPTION_KEYS: z.string().optional(),
    /**
     * Transport key ring of the workers: `"<id>:<base64 of 32 bytes>,…"` (X25519 private keys), the first is the one
     * producers seal with (its public key: `oauth-cc keys public`), all open. Create a pair with
     * `oauth-cc keys transport`. Unset: values sealed with a public key do not open (`invalid_sealed_value`).
     */
    TRANSPORT_PRIVATE_KEYS: z.string().optional(),
    /** Development key file, used only when ENCRYPTION_KEYS is unset outside production. @default ".dev-keys" */
    DEV_KEY_FILE: z.string().default('.dev-keys'),
    /** @default "info" */
    LOG_LEVEL: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('info'),
    /** Prefix of every BullMQ key in Redis. @default "bull" */
    QUEUE_PREFIX: z
      .string()
      .regex(/^[^:]+$/, "must not contain ':'")
      .default('bull'),
    /** Connection jobs (connect, test, refresh, revoke) run at once per worker process. @default 20 */
    WORKER_CONCURRENCY_CONNECTIONS: positiveInteger(20),
    /** Call jobs run at once per worker process. @default 100 */
    WORKER_CONCURRENCY_CALLS: positiveInteger(100),
    /** How long a worker holds a job's lock before renewing it; a dead worker's jobs wait this long. @default 30000 */
    WORKER_LOCK_DURATION_MS: positiveInteger(30_000),
    /** How often a worker looks for stalled jobs (of workers that died) to run them again. @default 30000 */
    WORKER_STALLED_INTERVAL_MS: positiveInteger(30_000),
    /** Time given to running jobs on SIGTERM before the process exits. @default 30000 */
    SHUTDOWN_TIMEOUT_MS: positiveInteger(30_000),
    /** Timeout of a token endpoint request. @default 30000 */
    TOKEN_REQUEST_TIMEOUT_MS: positiveInteger(30_000),
    /** Timeout of an API call when the job does not set one. @default 30000 */
    CALL_TIMEOUT_MS: positiveInteger(30_000),
    /** Largest timeout a call job may ask for. @default 120000 */
    CALL_MAX_TIMEOUT_MS: positiveInteger(120_000),
    /**
     * Largest API response body a call reads; larger ones fail. It also bounds each result kept in Redis (base64-grown),
     * so the memory held by finished calls (docs/OPERATIONS.md). @default 262144 (256 KiB)
     */
    CALL_MAX_RESPONSE_BYTES: positiveInteger(262_144),
    /**
     * Longest time a call waits in total for its rate budgets (declared or learned); a call that would wait longer
     * fails with `rate_limited`. Waiting uses up no attempts. @default 300000 (5 minutes)
     */
    CALL_MAX_WAIT_MS: positiveInteger(300_000),
    /** Attempts of a job with a transient failure. @default 8 */
    JOB_ATTEMPTS: positiveInteger(8),
    /** First delay of the exponential backoff between attempts. @default 1000 */
    JOB_BACKOFF_MS: positiveInteger(1000),
    /** Least time between two forced renewals of one connection. @default 300 */
    RENEWAL_COOLDOWN_SECONDS: positiveInteger(300),
    /** When the scheduler looks for connections due for renewal. @default "* * * * *" (every minute) */
    SCHEDULER_CRON: z
      .string()
      .refine((value) => isCronExpression(value), "must be a cron expression, such as '* * * * *'")
      .default('* * * * *'),
    /** Renewals found in one scheduler run are spread over this many seconds. @default 30 */
    SCHEDULER_SPREAD_SECONDS: positiveInteger(30),
    /** Due connections read per page by the scheduler. @default 1000 */
    SCHEDULER_PAGE_SIZE: positiveInteger(1000),
    /** @default 3000 */
    BOARD_PORT: positiveInteger(3000, 65_535),
    /**
     * When set, `npm run worker` serves /healthz, /readyz and /metrics (its job durations, token requests, renewals and
     * lock waits) on this port, on BOARD_HOST. Unset: a worker process serves nothing.
     */
    METRICS_PORT: z
      .string()
      .regex(/^[1-9][0-9]*$/, 'must be a port number, such as 9100')
      .transform(Number)
      .refine((n) => n <= 65_535, 'must be at most 65535')
      .optional(),
    /** Interface the board listens on; loopback unless exposed on purpose. @default "127.0.0.1" */
    BOARD_HOST: z.string().default('127.0.0.1'),
    /** Basic auth user of the board; set together with BOARD_PASSWORD. */
    BOARD_USER: z.string().optional(),
    /** Basic auth password of the board. */
    BOARD_PASSWORD: z.string().optional(),
    /** Bearer token accepted by the board (for scripts). */
    BOARD_TOKEN: z.string().optional(),
    /** The board shows but cannot retry, remove or clean jobs. @default false */
    BOARD_READ_ONLY: boolean(false),
    /**
     * Networks (CIDRs, IPv4 and IPv6, separated by commas) that outgoing requests may reach although they are not
     * public, such as a private API or a local test provider: `10.1.0.0/16,fd00:1::/64`. Every other address that
     * is not public (loopback, private, link-local, …) is refused (`egress_denied`).
     * @default none in production; `127.0.0.0/8,::1/128` otherwise (`egressAllowedNetworksOf`)
     */
    EGRESS_ALLOWED_NETWORKS: z
      .string()
      .transform((value, context) => {
        try {
          return parseNetworks(value);
        } catch (error) {
          context.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      })
      .optional(),
    /** PEM file of extra certificate authorities trusted by outgoing requests. */
    EXTRA_CA_CERTS: z.string().refine(existsSync, 'file not found').optional(),
    /** Receives connection events by HTTP POST, when set. */
    WEBHOOK_URL: z
      .string()
      .refine(
        (value) => URL.canParse(value) && isSecureUrl(new URL(value)),
        `must be an http:// or https:// URL; ${SECURE_URL_HINT}`,
      )
      .optional(),
    /** Signs webhook bodies (HMAC-SHA256). Required in production when WEBHOOK_URL is set. */
    WEBHOOK_SECRET: z.string().optional(),
    /** How long a failing webhook delivery is retried, with exponential backoff. @default 86400 (one day) */
    WEBHOOK_RETRY_SECONDS: positiveInteger(86_400),
    /** Finished event jobs kept on the `connection-events` queue (completed and failed each). @default 10000 */
    EVENTS_RETENTION_COUNT: positiveInteger(10_000),
    /**
     * How often each worker looks for unpublished events (a query per look). Lifecycle jobs publish their events as
     * they finish; the poll picks up the rest: renewals made by calls, and events a crashed process left. @default 250
     */
    EVENTS_POLL_MS: positiveInteger(250),
    /** Finished jobs kept per queue. @default 1000 */
    JOB_RETENTION_COUNT: positiveInteger(1000),
    /** Age after which finished jobs are removed. @default 86400 */
    JOB_RETENTION_AGE_SECONDS: positiveInteger(86_400),
    /**
     * Tracing (OpenTelemetry) is off unless an OTLP endpoint is set here or in OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or
     * OTEL_TRACES_EXPORTER is `otlp`. The base URL of an OTLP/HTTP receiver; `/v1/traces` is appended.
     */
    OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:'], 'must be an http:// or https:// URL').optional(),
    /** The full URL traces are sent to; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(['http:', 'https:'], 'must be an http:// or https:// URL').optional(),
    /** OTLP over HTTP, as protobuf or JSON (gRPC is not supported). @default "http/protobuf" */
    OTEL_EXPORTER_OTLP_PROTOCOL: z
      .enum(OTLP_PROTOCOLS, 'must be http/protobuf or http/json (grpc is not supported)')
      .default('http/protobuf'),
    /** Wins over OTEL_EXPORTER_OTLP_PROTOCOL for traces. */
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z
      .enum(OTLP_PROTOCOLS, 'must be http/protobuf or http/json (grpc is not supported)')
      .optional(),
    /** `otlp` switches tracing on (to http://localhost:4318 without an endpoint); `none` keeps it off. */
    OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], 'must be otlp or none').optional(),
    /** `true` keeps tracing off whatever else is set. @default false */
    OTEL_SDK_DISABLED: boolean(false),
    /** `service.name` of the spans. @default "oauth-cc-worker" */
    OTEL_SERVICE_NAME: z.string().default('oauth-cc-worker'),
    /** Which traces are recorded. @default "parentbased_always_on" */
    OTEL_TRACES_SAMPLER: z
      .enum(TRACE_SAMPLERS, `must be one of ${TRACE_SAMPLERS.join(', ')}`)
      .default('parentbased_always_on'),
    /** The ratio of the `*traceidratio` samplers, from 0 to 1. @default 1 */
    OTEL_TRACES_SAMPLER_ARG: z
      .string()
      .regex(/^(?:0|1|0?\.[0-9]+|1\.0*)$/, 'must be a number from 0 to 1, such as 0.1')
      .transform(Number)
      .default(1),
  })
  .superRefine((env, context) => {
    const fail = (variable: string, message: string) => context.addIssue({ code: 'custom', path: [variable], message });
    if (env.ENCRYPTION_KEYS !== undefined) {
      try {
        KeyRing.parse(env.ENCRYPTION_KEYS);
      } catch (error) {
        fail('ENCRYPTION_KEYS', (error as Error).message.replace(/^ENCRYPTION_KEYS: /, ''));
      }
    }
    if (env.TRANSPORT_PRIVATE_KEYS !== undefined) {
      try {
        TransportKeyRing.parse(env.TRANSPORT_PRIVATE_KEYS);
      } catch (error) {
        fail('TRANSPORT_PRIVATE_KEYS', (error as Error).message.replace(/^TRANSPORT_PRIVATE_KEYS: /, ''));
      }
    }
    if ((env.BOARD_USER === undefined) !== (env.BOARD_PASSWORD === undefined)) {
      fail(
        env.BOARD_USER === undefined ? 'BOARD_USER' : 'BOARD_PASSWORD',
        'set BOARD_USER and BOARD_PASSWORD together',
      );
    }
    const outside = env.WORKER_CALL_PARTITIONS?.find((partition) => partition >= env.CALL_PARTITIONS);
    if (outside !== undefined) {
      fail('WORKER_CALL_PARTITIONS', `partition ${outside} does not exist: CALL_PARTITIONS is ${env.CALL_PARTITIONS}`);
    }
    if (env.NODE_ENV === 'production' && env.WEBHOOK_URL !== undefined && env.WEBHOOK_SECRET === undefined) {
      // Unsigned events let anyone who can reach the receiver forge a connection.error or connection.revoked.
      fail('WEBHOOK_SECRET', 'required in production when WEBHOOK_URL is set (generate one: openssl rand -hex 32)');
    }
    if (env.NODE_ENV === 'production' && env.DATABASE_URL === undefined) {
      // The embedded store serves one process, and production runs several.
      fail('DATABASE_URL', 'required in production: set it to a postgres:// or mongodb:// URL');
    }
    if (env.CALL_TIMEOUT_MS > env.CALL_MAX_TIMEOUT_MS) {
      fail('CALL_TIMEOUT_MS', `must be at most CALL_MAX_TIMEOUT_MS (${env.CALL_MAX_TIMEOUT_MS})`);
    }
  });

type Env = Omit<z.output<typeof configSchema>, 'DATABASE_URL'> & { DATABASE_URL: string };
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}${Capitalize<CamelCase<Tail>>}`
  : Lowercase<S>;

/** The validated settings, named in camelCase: `REDIS_URL` is `redisUrl`. See `configSchema` for each one. */
export type Config = { readonly [K in keyof Env as CamelCase<K & string>]: Env[K] };

const camelCase = (name: string) => name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The networks outgoing requests may reach although not public: the setting, or the default of the environment. */
export function egressAllowedNetworksOf(config: Config): readonly string[] {
  return config.egressAllowedNetworks ?? (config.nodeEnv === 'production' ? [] : LOOPBACK_NETWORKS);
}

/** The embedded store in `dataDir`: what an unset DATABASE_URL means outside production. */
export const embeddedUrl = (dataDir: string) => `pglite://${dataDir.replace(/\/+$/, '')}/pglite`;

/** Every variable the configuration reads. */
export function configVariableNames(): string[] {
  return Object.keys(configSchema.shape);
}

/**
 * Reads and validates the configuration.
 * @param env @default process.env, completed by `.env` in the working directory
 * @throws AppError `invalid_config` whose message is one line, such as `REDIS_URL: must be a redis:// or rediss:// URL`
 */
export function loadConfig(env?: NodeJS.ProcessEnv): Config {
  if (env === undefined) loadDotenv({ quiet: true });
  const source = env ?? process.env;
  const present = Object.fromEntries(
    configVariableNames()
      .map((name) => [name, source[name]] as const)
      .filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const message = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new AppError('invalid_input', 'invalid_config', message);
  }
  const settings: Env = { ...result.data, DATABASE_URL: result.data.DATABASE_URL ?? embeddedUrl(result.data.DATA_DIR) };
  return Object.fromEntries(Object.entries(settings).map(([name, value]) => [camelCase(name), value])) as Config;
}

/** Runs `fn`; on a configuration error prints its single line to stderr and exits with status 1. */
export function exitOnConfigError(fn: () => Config): Config {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'invalid_config') throw error;
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
    process.exit(1);
  }
}
