/** Writes schemas/connector.schema.json from the zod schema. `npm run schema`; a test fails when it is stale. */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { connectorJsonSchema } from '../src/definitions/json-schema.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../schemas/connector.schema.json', import.meta.url));

/** The file's exact content: pretty JSON with a trailing newline. */
export function schemaFileContent(): string {
  return `${JSON.stringify(connectorJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(SCHEMA_FILE, schemaFileContent());
  console.log(`wrote ${SCHEMA_FILE}`);
}
