/**
 * No Docker engine runs here, so docker-compose.yml is checked statically: its services, that their commands are
 * package.json scripts, and that every variable they set is one the configuration knows and accepts.
 *
 * The file is read with a tiny parser for the subset it uses (block maps by indentation, flow lists in JSON form, also wrapped,
 * plain scalars), which fails loudly on anything else, rather than with a YAML package the project does not need.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configVariableNames, loadConfig } from '../../src/config.js';

type Node = string | string[] | { [key: string]: Node };

function parseComposeSubset(text: string): Record<string, Node> {
  const lines = text
    .split('\n')
    .map((raw) => raw.replace(/\s+#.*$|^\s*#.*$/, ''))
    .filter((line) => line.trim() !== '')
    // A flow list the formatter wrapped over several lines is joined back into one.
    .join('\n')
    .replace(/:\n\s*\[([^\]]*)\]/g, (_, items: string) => `: [${items.replace(/\s*\n\s*/g, ' ').trim()}]`)
    .split('\n');
  let index = 0;
  const block = (indent: number): Record<string, Node> => {
    const map: Record<string, Node> = {};
    while (index < lines.length) {
      const line = lines[index] ?? '';
      const depth = line.length - line.trimStart().length;
      if (depth < indent) break;
      if (depth > indent) throw new Error(`unexpected indentation: ${line}`);
      index++;
      const item = /^\s*- (.*)$/.exec(line);
      if (item) {
        map[String(Object.keys(map).length)] = item[1] ?? '';
        continue;
      }
      const entry = /^\s*([\w.<-]+):(?: (.*))?$/.exec(line);
      if (!entry) throw new Error(`not in the parsed subset: ${line}`);
      const [, key = '', value] = entry;
      if (value === undefined || value.startsWith('&')) {
        const next = lines[index] ?? '';
        map[key] = block(next.length - next.trimStart().length);
      } else if (value.startsWith('[')) map[key] = JSON.parse(value) as string[];
      else map[key] = value.replace(/^"(.*)"$/, '$1');
    }
    return map;
  };
  return block(0);
}

const compose = parseComposeSubset(readFileSync('docker-compose.yml', 'utf8'));
const services = compose.services as Record<string, Record<string, Node>>;
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
const APP_SERVICES = ['worker', 'scheduler', 'board'];

/** `${NAME:?message}` and `${NAME:-default}` as compose would fill them from a sample environment. */
function interpolate(value: string, sample: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::[?-]([^}]*))?\}/g, (_, name: string, fallback = '') => sample[name] ?? fallback);
}

describe('docker-compose.yml', () => {
  it('has redis, mongo, a scalable worker, scheduler and board, each with a healthcheck', () => {
    expect(Object.keys(services).sort()).toEqual(['board', 'mongo', 'redis', 'scheduler', 'worker']);
    for (const [name, service] of Object.entries(services)) expect(service.healthcheck, name).toBeDefined();
    // --scale needs no fixed container name and no published host port.
    expect(services.worker?.container_name).toBeUndefined();
    expect(services.worker?.ports).toBeUndefined();
  });

  it('runs Redis with AOF persistence and noeviction', () => {
    const command = ((services.redis?.command ?? []) as string[]).join(' ');
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
  });

  it('runs the app services under an init', () => {
    expect((compose['x-app'] as Record<string, Node>).init).toBe('true');
  });

  it('starts every process as its npm script does, on node directly, on MongoDB, with only variables the config knows', () => {
    const known = configVariableNames();
    const sample = {
      ENCRYPTION_KEYS: 'k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      BOARD_USER: 'ops',
      BOARD_PASSWORD: 'pw',
    };
    for (const name of APP_SERVICES) {
      const service = services[name] ?? {};
      // node itself receives the stop signal (npm would not pass it on) and runs what `npm run <name>` runs.
      expect((service.command as string[]).join(' '), name).toBe(scripts[name]);
      expect(scripts[name], name).toMatch(/^node /);
      // and an init forwards the signal to it: the service shares x-app, which turns init on.
      expect(service['<<'], name).toBe('*app');
      const environment = service.environment as Record<string, string>;
      for (const variable of Object.keys(environment)) expect(known, `${name}: ${variable}`).toContain(variable);
      expect(environment.DATABASE_URL).toMatch(/^mongodb:\/\/mongo:27017\/\w+$/);
      const env = Object.fromEntries(
        Object.entries(environment).map(([key, value]) => [key, interpolate(value, sample)]),
      );
      expect(() => loadConfig(env), name).not.toThrow();
    }
  });
});
