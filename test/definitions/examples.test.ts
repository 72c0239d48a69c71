import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, schemaFileContent } from '../../scripts/generate-schema.js';
import { formatIssue, loadDefinitions } from '../../src/definitions/validate.js';

describe('examples/connectors', () => {
  it('every example is valid, without warnings, and points editors at the JSON Schema', async () => {
    const results = await loadDefinitions('examples/connectors');
    expect(results.map((r) => r.file)).toEqual(['examples/connectors/generic.json']);
    for (const { file, result } of results) {
      const issues = result.ok ? result.warnings : result.issues;
      expect(issues.map((issue) => formatIssue(issue, file))).toEqual([]);
      expect(result.ok && result.definition.$schema).toBe('../../schemas/connector.schema.json');
    }
  });
});

describe('schemas/connector.schema.json', () => {
  it('matches the zod schema (run `npm run schema` when this fails)', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(schemaFileContent());
  });
});
