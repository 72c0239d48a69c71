/**
 * The walls of the house (docs/ARCHITECTURE.md "Who may import whom"), checked on every run: a module imports only
 * the modules its row allows, the domain and the protocol import no queue or Redis package, and no file cycle
 * exists.
 */
import { describe, expect, it } from 'vitest';
import { cycles, importGraph, moduleOf } from './import-graph.js';

const graph = importGraph(['src', 'jobs', 'workers', 'bin']);

/** What each module may import of the project. A module not listed here may import any module of `src/`. */
const ALLOWED: Record<string, readonly string[]> = {
  'src/domain': [],
  'src/errors': ['src/error-codes'],
  'src/error-codes': [],
  'src/turn-batch': [],
  'src/lru': [],
  'src/http': ['src/errors', 'src/domain'],
  'src/definitions': ['src/domain', 'src/errors', 'src/http'],
  'src/oauth': ['src/definitions', 'src/domain', 'src/errors', 'src/http', 'src/telemetry'],
  'src/store': ['src/definitions', 'src/domain', 'src/errors', 'src/turn-batch'],
  'src/secrets': ['src/domain', 'src/errors', 'src/log', 'src/store'],
  'src/redis': ['src/domain', 'src/errors', 'src/log', 'src/turn-batch'],
  'src/events': ['src/domain', 'src/errors', 'src/http', 'src/log', 'src/store', 'src/telemetry'],
  'src/telemetry': ['src/config', 'src/domain', 'src/errors', 'src/store'],
  'src/queue': ['src/definitions', 'src/domain', 'src/errors', 'src/log', 'src/secrets', 'src/telemetry'],
  'src/connections': [
    'src/definitions',
    'src/domain',
    'src/errors',
    'src/events',
    'src/http',
    'src/log',
    'src/lru',
    'src/oauth',
    'src/secrets',
    'src/store',
    'src/telemetry',
  ],
};

/** Packages that tie code to the queue or to Redis: the domain and the protocol must not know them. */
const INFRASTRUCTURE_PACKAGES = ['bullmq', 'ioredis'];
const INFRASTRUCTURE_FREE = ['src/domain', 'src/connections', 'src/oauth', 'src/http', 'src/definitions', 'src/store'];

describe('the import graph', () => {
  it('has no cycle between files', () => {
    expect(cycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });

  it('each module imports only what its row in docs/ARCHITECTURE.md allows', () => {
    const breaches = graph.flatMap((file) => {
      const allowed = ALLOWED[moduleOf(file.path)];
      if (!allowed) return [];
      return file.files
        .filter((target) => moduleOf(target) !== moduleOf(file.path) && !allowed.includes(moduleOf(target)))
        .map((target) => `${file.path} imports ${target}`);
    });
    expect(breaches).toEqual([]);
  });

  it('code under src/ never imports a job or a worker process', () => {
    const breaches = graph.flatMap((file) =>
      file.path.startsWith('src/')
        ? file.files.filter((target) => /^(jobs|workers)\//.test(target)).map((target) => `${file.path} → ${target}`)
        : [],
    );
    expect(breaches).toEqual([]);
  });

  it('the domain, the protocol, the transport, definitions and stores know nothing of BullMQ or Redis', () => {
    const breaches = graph.flatMap((file) =>
      INFRASTRUCTURE_FREE.includes(moduleOf(file.path))
        ? file.packages.filter((name) => INFRASTRUCTURE_PACKAGES.includes(name)).map((name) => `${file.path} → ${name}`)
        : [],
    );
    expect(breaches).toEqual([]);
  });

  it('the checks see the code: the graph holds the modules the rules name', () => {
    const modules = new Set(graph.map((file) => moduleOf(file.path)));
    for (const name of Object.keys(ALLOWED)) expect(modules, name).toContain(name);
  });
});
