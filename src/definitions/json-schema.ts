/** The JSON Schema of connector definitions, generated from the zod schema (editors use it for completion). */
import { z } from 'zod';
import { connectorDefinitionSchema } from './schema.js';

export type JsonSchema = Record<string, unknown>;

let cached: JsonSchema | undefined;

/** JSON Schema (draft 2020-12) of what users write: optional keys stay optional. */
export function connectorJsonSchema(): JsonSchema {
  cached ??= {
    ...z.toJSONSchema(connectorDefinitionSchema, { io: 'input' }),
    title: 'oauth-cc-worker connector definition',
  };
  return structuredClone(cached);
}
