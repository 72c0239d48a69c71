import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configVariableNames, egressAllowedNetworksOf, loadConfig } from '../src/config.js';
import { AppError } from '../src/errors.js';
import { KeyRing } from '../src/secrets/keyring.js';

const run = promisify(execFile);

/** The single-line message of the configuration error `env` causes. */
function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('invalid_config');
    expect((error as AppError).kind).toBe('invalid_input');
    return (error as AppError).message;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('when nothing is set, every setting has its documented default', () => {
    expect(loadConfig({})).toEqual({
      nodeEnv: 'development',
      redisUrl: 'redis://127.0.0.1:6379',
      callPartitions: 1,
      databaseUrl: 'pglite://.data/pglite',
      dataDir: '.data',
      devKeyFile: '.dev-keys',
      logLevel: 'info',
      queuePrefix: 'bull',
      workerConcurrencyConnections: 20,
      workerConcurrencyCalls: 100,
      shutdownTimeoutMs: 30_000,
      tokenRequestTimeoutMs: 30_000,
      callTimeoutMs: 30_000,
      callMaxTimeoutMs: 120_000,
      callMaxResponseBytes: 262_144,
      callMaxWaitMs: 300_000,
      jobAttempts: 8,
      workerLockDurationMs: 30_000,
      workerStalledIntervalMs: 30_000,
      jobBackoffMs: 1000,
      renewalCooldownSeconds: 300,
      schedulerCron: '* * * * *',
      schedulerSpreadSeconds: 30,
      schedulerPageSize: 1000,
      boardPort: 3000,
      boardHost: '127.0.0.1',
      boardReadOnly: false,
      eventsRetentionCount: 10_000,
      eventsPollMs: 250,
      jobRetentionCount: 1000,
      jobRetentionAgeSeconds: 86_400,
      webhookRetrySeconds: 86_400,
      otelExporterOtlpProtocol: 'http/protobuf',
      otelSdkDisabled: false,
      otelServiceName: 'oauth-cc-worker',
      otelTracesSampler: 'parentbased_always_on',
      otelTracesSamplerArg: 1,
    });
  });

  it('when values are set, they are parsed into typed camelCase settings; empty values count as unset', () => {
    const keys = KeyRing.generateKey('k1');
    const config = loadConfig({
      NODE_ENV: 'production',
      REDIS_URL: 'rediss://:pw@redis.internal:6380/2',
      DATABASE_URL: 'mongodb+srv://user:pw@cluster.example.net/oauth',
      ENCRYPTION_KEYS: keys,
      WORKER_CONCURRENCY_CALLS: '250',
      BOARD_READ_ONLY: 'TRUE',
      BOARD_USER: 'admin',
      BOARD_PASSWORD: 'pw',
      WEBHOOK_URL: 'https://hooks.example.com/oauth',
      WEBHOOK_SECRET: 'whsec-test',
      SCHEDULER_CRON: '*/30 * * * * *',
      LOG_LEVEL: 'silent',
      BOARD_TOKEN: '',
      UNRELATED: 'ignored',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      redisUrl: 'rediss://:pw@redis.internal:6380/2',
      databaseUrl: 'mongodb+srv://user:pw@cluster.example.net/oauth',
      encryptionKeys: keys,
      workerConcurrencyCalls: 250,
      boardReadOnly: true,
      boardUser: 'admin',
      webhookUrl: 'https://hooks.example.com/oauth',
      schedulerCron: '*/30 * * * * *',
      logLevel: 'silent',
    });
    expect(config).not.toHaveProperty('boardToken');
    expect(config).not.toHaveProperty('unrelated');
    expect(loadConfig({ BOARD_READ_ONLY: '0' }).boardReadOnly).toBe(false);
    expect(loadConfig({ BOARD_READ_ONLY: '1' }).boardReadOnly).toBe(true);
  });

  it('when a value is bad, the error is one line naming the variable and what is wrong, without the value', () => {
    const cases: [NodeJS.ProcessEnv, string][] = [
      [{ REDIS_URL: 'http://secretpw@localhost' }, 'REDIS_URL: must be a redis:// or rediss:// URL'],
      [
        { DATABASE_URL: 'mysql://root:secretpw@db/x' },
        'DATABASE_URL: must be a postgres://, postgresql://, mongodb://, mongodb+srv:// or pglite://<dir> URL',
      ],
      [{ DATABASE_URL: 'not a url secretpw' }, 'DATABASE_URL: must be a postgres://'],
      [{ DATABASE_URL: 'pglite://' }, 'DATABASE_URL: must be a postgres://'],
      [{ DATABASE_SCHEMA: 'drop table;' }, 'DATABASE_SCHEMA: must be lower case letters, digits and _'],
      [{ NODE_ENV: 'staging' }, 'NODE_ENV: must be development, production or test'],
      [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'],
      [{ QUEUE_PREFIX: 'a:b' }, "QUEUE_PREFIX: must not contain ':'"],
      [{ WORKER_CONCURRENCY_CALLS: '0' }, 'WORKER_CONCURRENCY_CALLS: must be a positive integer, such as 100'],
      [{ JOB_ATTEMPTS: '-1' }, 'JOB_ATTEMPTS: must be a positive integer'],
      [{ SHUTDOWN_TIMEOUT_MS: '1.5' }, 'SHUTDOWN_TIMEOUT_MS: must be a positive integer'],
      [{ CALL_MAX_RESPONSE_BYTES: 'ten' }, 'CALL_MAX_RESPONSE_BYTES: must be a positive integer'],
      [{ BOARD_PORT: '70000' }, 'BOARD_PORT: must be at most 65535'],
      [{ BOARD_READ_ONLY: 'yes' }, 'BOARD_READ_ONLY: must be true, false, 1 or 0'],
      [{ SCHEDULER_CRON: 'every minute' }, "SCHEDULER_CRON: must be a cron expression, such as '* * * * *'"],
      [{ WEBHOOK_URL: 'ftp://secretpw@x' }, 'WEBHOOK_URL: must be an http:// or https:// URL'],
      [{ EXTRA_CA_CERTS: '/nonexistent/secretpw.pem' }, 'EXTRA_CA_CERTS: file not found'],
      [{ ENCRYPTION_KEYS: 'k1:secretpw' }, 'ENCRYPTION_KEYS: key "k1" is'],
      [{ TRANSPORT_PRIVATE_KEYS: 't1:secretpw' }, 'TRANSPORT_PRIVATE_KEYS: key "t1" is'],
      [{ BOARD_USER: 'admin' }, 'BOARD_PASSWORD: set BOARD_USER and BOARD_PASSWORD together'],
      [{ CALL_TIMEOUT_MS: '200000' }, 'CALL_TIMEOUT_MS: must be at most CALL_MAX_TIMEOUT_MS (120000)'],
      [
        { EGRESS_ALLOWED_NETWORKS: '10.0.0.0/8,secretpw' },
        'EGRESS_ALLOWED_NETWORKS: entry 2 is not a network: write CIDRs separated by commas, such as 10.0.0.0/8,fd00::/8',
      ],
    ];
    for (const [env, expected] of cases) {
      const message = configError(env);
      expect(message).toContain(expected);
      expect(message.startsWith(Object.keys(env)[0] === 'BOARD_USER' ? 'BOARD_PASSWORD' : Object.keys(env)[0]!)).toBe(
        true,
      );
      expect(message).not.toContain('\n');
      expect(message).not.toContain('secretpw');
    }
  });

  it('in production, a webhook URL without a secret is refused (unsigned events could be forged); elsewhere it is not', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db.internal/oauth',
      ENCRYPTION_KEYS: KeyRing.generateKey('k1'),
    };
    const webhook = { WEBHOOK_URL: 'https://hooks.example.com/oauth' };
    expect(configError({ ...production, ...webhook })).toBe(
      'WEBHOOK_SECRET: required in production when WEBHOOK_URL is set (generate one: openssl rand -hex 32)',
    );
    expect(loadConfig({ ...production, ...webhook, WEBHOOK_SECRET: 's' }).webhookSecret).toBe('s');
    expect(loadConfig({ ...production }).webhookUrl).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'development', ...webhook }).webhookUrl).toBe(webhook.WEBHOOK_URL);
  });

  it('allows egress to loopback outside production by default, to no private network in production', () => {
    expect(egressAllowedNetworksOf(loadConfig({}))).toEqual(['127.0.0.0/8', '::1/128']);
    expect(egressAllowedNetworksOf(loadConfig({ NODE_ENV: 'test' }))).toEqual(['127.0.0.0/8', '::1/128']);
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db.internal/oauth',
      ENCRYPTION_KEYS: KeyRing.generateKey('k1'),
    };
    expect(egressAllowedNetworksOf(loadConfig(production))).toEqual([]);
    const listed = { ...production, EGRESS_ALLOWED_NETWORKS: ' 10.1.0.0/16 , fd00:1::/64' };
    expect(egressAllowedNetworksOf(loadConfig(listed))).toEqual(['10.1.0.0/16', 'fd00:1::/64']);
  });

  it('when DATABASE_URL is unset, production refuses; elsewhere the store is the embedded one in DATA_DIR', () => {
    expect(configError({ NODE_ENV: 'production' })).toBe(
      'DATABASE_URL: required in production: set it to a postgres:// or mongodb:// URL',
    );
    expect(loadConfig({ DATA_DIR: '/var/lib/oauth-cc/' }).databaseUrl).toBe('pglite:///var/lib/oauth-cc/pglite');
    expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'pglite://./db' }).databaseUrl).toBe('pglite://./db');
    expect(loadConfig({ DATABASE_URL: 'postgres://db.internal/oauth' }).databaseUrl).toBe(
      'postgres://db.internal/oauth',
    );
  });

  it('when several values are bad, all are named on the same line', () => {
    expect(configError({ REDIS_URL: 'x', JOB_ATTEMPTS: 'x' })).toBe(
      'REDIS_URL: must be a redis:// or rediss:// URL; JOB_ATTEMPTS: must be a positive integer, such as 8',
    );
  });

  it('reads a cluster, call partitions and the partitions a worker takes', () => {
    const config = loadConfig({
      REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-b.internal:7001',
      CALL_PARTITIONS: '4',
      WORKER_CALL_PARTITIONS: '3,1,3',
    });
    expect(config.redisClusterNodes).toEqual(['10.0.0.1:7000', 'redis-b.internal:7001']);
    expect(config.callPartitions).toBe(4);
    expect(config.workerCallPartitions).toEqual([1, 3]);
  });

  it('refuses cluster nodes without ports and worker partitions that do not exist', () => {
    expect(configError({ REDIS_CLUSTER_NODES: '10.0.0.1' })).toBe(
      'REDIS_CLUSTER_NODES: must be host:port pairs separated by commas, such as 10.0.0.1:6379,10.0.0.2:6379',
    );
    expect(configError({ CALL_PARTITIONS: '2', WORKER_CALL_PARTITIONS: '0,2' })).toBe(
      'WORKER_CALL_PARTITIONS: partition 2 does not exist: CALL_PARTITIONS is 2',
    );
  });

  it('lists every variable it reads', () => {
    expect(configVariableNames().sort()).toEqual(
      [
        'NODE_ENV',
        'REDIS_URL',
        'REDIS_CLUSTER_NODES',
        'CALL_PARTITIONS',
        'WORKER_CALL_PARTITIONS',
        'DATABASE_URL',
        'DATA_DIR',
        'DATABASE_SCHEMA',
        'ENCRYPTION_KEYS',
        'TRANSPORT_PRIVATE_KEYS',
        'DEV_KEY_FILE',
        'LOG_LEVEL',
        'QUEUE_PREFIX',
        'WORKER_CONCURRENCY_CONNECTIONS',
        'WORKER_CONCURRENCY_CALLS',
        'SHUTDOWN_TIMEOUT_MS',
        'TOKEN_REQUEST_TIMEOUT_MS',
        'CALL_TIMEOUT_MS',
        'CALL_MAX_TIMEOUT_MS',
        'CALL_MAX_RESPONSE_BYTES',
        'CALL_MAX_WAIT_MS',
        'JOB_ATTEMPTS',
        'WORKER_LOCK_DURATION_MS',
        'WORKER_STALLED_INTERVAL_MS',
        'JOB_BACKOFF_MS',
        'RENEWAL_COOLDOWN_SECONDS',
        'SCHEDULER_CRON',
        'SCHEDULER_SPREAD_SECONDS',
        'SCHEDULER_PAGE_SIZE',
        'BOARD_PORT',
        'METRICS_PORT',
        'BOARD_HOST',
        'BOARD_USER',
        'BOARD_PASSWORD',
        'BOARD_TOKEN',
        'BOARD_READ_ONLY',
        'EXTRA_CA_CERTS',
        'EGRESS_ALLOWED_NETWORKS',
        'WEBHOOK_URL',
        'WEBHOOK_SECRET',
        'WEBHOOK_RETRY_SECONDS',
        'EVENTS_RETENTION_COUNT',
        'EVENTS_POLL_MS',
        'JOB_RETENTION_COUNT',
        'JOB_RETENTION_AGE_SECONDS',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
        'OTEL_EXPORTER_OTLP_PROTOCOL',
        'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
        'OTEL_TRACES_EXPORTER',
        'OTEL_SDK_DISABLED',
        'OTEL_SERVICE_NAME',
        'OTEL_TRACES_SAMPLER',
        'OTEL_TRACES_SAMPLER_ARG',
      ].sort(),
    );
  });
});

describe('exitOnConfigError', () => {
  it('when the configuration is bad, the process prints one line to stderr and exits with 1', async () => {
    const script = `
      import { exitOnConfigError, loadConfig } from './src/config.ts';
      exitOnConfigError(() => loadConfig());
      process.stdout.write('started');`;
    const child = run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, REDIS_URL: 'localhost:6379' },
    });
    const failure = await child.then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1, stdout: '' });
    expect(failure!.stderr).toBe('Invalid configuration: REDIS_URL: must be a redis:// or rediss:// URL\n');
  });

  it('when the allowed networks are malformed, the worker stops with one line naming the variable', async () => {
    const child = run(process.execPath, ['--import', 'tsx', 'workers/worker.ts'], {
      env: { PATH: process.env.PATH, EGRESS_ALLOWED_NETWORKS: '10.0.0.0/33' },
    });
    const failure = await child.then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1, stdout: '' });
    expect(failure!.stderr).toBe(
      'Invalid configuration: EGRESS_ALLOWED_NETWORKS: entry 1 is not a network: write CIDRs separated by commas, such as 10.0.0.0/8,fd00::/8\n',
    );
  });

  it('when a production worker has a webhook URL but no secret, it stops with one line before connecting anywhere', async () => {
    const child = run(process.execPath, ['--import', 'tsx', 'workers/worker.ts'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://db.internal/oauth',
        ENCRYPTION_KEYS: KeyRing.generateKey('k1'),
        WEBHOOK_URL: 'https://hooks.example.com/oauth',
      },
    });
    const failure = await child.then(
      () => null,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 1, stdout: '' });
    expect(failure!.stderr).toBe(
      'Invalid configuration: WEBHOOK_SECRET: required in production when WEBHOOK_URL is set (generate one: openssl rand -hex 32)\n',
    );
  });
});
