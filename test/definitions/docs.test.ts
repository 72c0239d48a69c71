import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { connectorJsonSchema, type JsonSchema } from '../../src/definitions/json-schema.js';

/** Every key of the schema as a documented path (`token.response.accessToken`, `fields[].key`), and enum values. */
function documentedNames(node: JsonSchema, path: string, out: Set<string>): Set<string> {
  if (Array.isArray(node.enum)) for (const value of node.enum) out.add(String(value));
  for (const branch of (node.anyOf as JsonSchema[] | undefined) ?? []) documentedNames(branch, path, out);
  if (node.items) documentedNames(node.items as JsonSchema, `${path}[]`, out);
  for (const [key, child] of Object.entries((node.properties as Record<string, JsonSchema> | undefined) ?? {})) {
    const childPath = path ? `${path}.${key}` : key;
    out.add(childPath);
    documentedNames(child, childPath, out);
  }
  return out;
}

describe('docs/connectors.md', () => {
  it('mentions every key of the JSON Schema by its full path, and every allowed value, in backticks', async () => {
    const docs = await readFile('docs/connectors.md', 'utf8');
    const names = [...documentedNames(connectorJsonSchema(), '', new Set())];
    expect(names).toContain('token.response.accessToken');
    expect(names).toContain('fields[].pattern');
    expect(names.filter((name) => !docs.includes(`\`${name}\``))).toEqual([]);
  });
});
