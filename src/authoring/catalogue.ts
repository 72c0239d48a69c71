/** The catalogue of ready connector definitions: `connectors/` at the package root, one `<key>.json` each. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The catalogue folder, found from this module's place both in the sources and in the built package. */
export function catalogueDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('the package root (package.json) was not found above the catalogue module');
    dir = parent;
  }
  return join(dir, 'connectors');
}
