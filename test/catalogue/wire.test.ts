import { generateKeyPairSync } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueDir } from '../../src/authoring/catalogue.js';
import { tryConnector } from '../../src/authoring/try.js';
import { formatIssue, loadDefinitions, validateDefinition } from '../../src/definitions/validate.js';
import { createTransport, type HttpTransport } from '../../src/http/send.js';
import { DOCUMENTED } from './exchanges.js';
import { type FakeProvider, startFakeProvider } from './fake-provider.js';
import { pointAt } from './local-hosts.js';

const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;
const LIMITS = { tokenTimeoutMs: 10_000, callTimeoutMs: 10_000, callMaxResponseBytes: 1024 * 1024 };
const RATE_LIMIT_HEADER = /rate-?limit|limit-remaining/i;

let fake: FakeProvider;
let transport: HttpTransport;

beforeAll(async () => {
  fake = await startFakeProvider();
  transport = createTransport();
});
afterAll(async () => {
  await transport?.close();
  await fake?.close();
});

describe('the catalogue', () => {
  it('has at least 30 entries, each valid without warnings and each with a documented exchange', async () => {
    const results = await loadDefinitions(catalogueDir());
    expect(results.length).toBeGreaterThanOrEqual(30);
    for (const { file, result } of results) {
      expect((result.ok ? result.warnings : result.issues).map((issue) => formatIssue(issue, file))).toEqual([]);
    }
    const keys = results.map(({ result }) => (result.ok ? result.definition.key : ''));
    expect(DOCUMENTED.map((entry) => entry.key).sort()).toEqual([...keys].sort());
    expect((await readdir(catalogueDir())).filter((name) => name.endsWith('.json'))).toHaveLength(keys.length);
  });

  it('lists every entry in docs/connectors.md and cites its sources in connectors/SOURCES.md', async () => {
    const docs = await readFile('docs/connectors.md', 'utf8');
    const sources = await readFile(`${catalogueDir()}/SOURCES.md`, 'utf8');
    const keys = DOCUMENTED.map((entry) => entry.key);
    expect(keys.filter((key) => !docs.includes(`| [\`${key}\`](../connectors/${key}.json) |`))).toEqual([]);
    expect(keys.filter((key) => !new RegExp(`^\\| ${key} \\| https://`, 'm').test(sources))).toEqual([]);
  });
});

describe('each catalogue entry sends what its provider documents', () => {
  for (const entry of DOCUMENTED) {
    it(`${entry.key}: token request, test API, name and identifier`, async () => {
      const [loaded] = await loadDefinitions(`${catalogueDir()}/${entry.key}.json`);
      if (!loaded?.result.ok) throw new Error(`${entry.key} does not validate`);
      const local = validateDefinition(pointAt(loaded.result.definition, fake.origin));
      if (!local.ok) throw new Error(local.issues.map((issue) => formatIssue(issue)).join('; '));
      const fields =
        entry.token.auth === 'private_key_jwt' ? { ...entry.fields, private_key: PRIVATE_KEY } : entry.fields;
      fake.expect(entry);

      const report = await tryConnector(local.definition, fields, { ...LIMITS, transport: transport.send });

      expect(fake.mismatches).toEqual([]);
      expect(report.failure).toBeUndefined();
      expect(fake.received).toEqual([
        `POST ${entry.token.url}`,
        ...(entry.test ? [`${entry.test.method ?? 'GET'} ${entry.test.url}`] : []),
      ]);
      expect({ uniqueId: report.uniqueId, connectionName: report.connectionName }).toEqual({
        uniqueId: entry.uniqueId,
        connectionName: entry.connectionName,
      });
      const shown = report.exchanges.find((exchange) => exchange.step === 'test')?.responseHeaders ?? {};
      const documented = Object.keys(entry.test?.answerHeaders ?? {}).filter((name) => RATE_LIMIT_HEADER.test(name));
      for (const name of documented) expect(shown[name]).toBe(entry.test?.answerHeaders?.[name]);
      const printed = JSON.stringify(report);
      for (const secret of [entry.fields.client_secret, 'fake-issued-access-token', PRIVATE_KEY.slice(40, 80)]) {
        if (secret) expect(printed).not.toContain(secret);
      }
    });
  }
});
