/**
 * The project's import graph, read with TypeScript's own pre-processor (no module is loaded): which file imports
 * which project file and which package.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

export interface SourceFile {
  /** Path from the repository root, such as `src/connections/call.ts`. */
  path: string;
  /** Project files it imports, as paths from the root. */
  files: string[];
  /** Packages it imports (`bullmq`, `node:crypto`, …). */
  packages: string[];
}

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), '../..'));

function tsFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

export function importGraph(folders: readonly string[]): SourceFile[] {
  return folders.flatMap(tsFiles).map((path) => {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, path), 'utf8'), true, true);
    const specifiers = importedFiles.map((imported) => imported.fileName);
    return {
      path,
      files: specifiers
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => relative(ROOT, join(ROOT, dirname(path), specifier.replace(/\.js$/, '.ts')))),
      packages: specifiers.filter((specifier) => !specifier.startsWith('.')),
    };
  });
}

/** The module a file belongs to: its folder under `src/` (`src/connections`), or the top-level folder (`jobs`). */
export function moduleOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'src') return parts.length > 2 ? `src/${parts[1]}` : path.replace(/\.ts$/, '');
  return parts[0] as string;
}

/** Every import cycle between files, each as the list of files around it. */
export function cycles(graph: readonly SourceFile[]): string[][] {
  const edges = new Map(graph.map((file) => [file.path, file.files]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (path: string) => {
    state.set(path, 'open');
    stack.push(path);
    for (const next of edges.get(path) ?? []) {
      if (!edges.has(next)) continue;
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(path, 'done');
  };
  for (const path of edges.keys()) if (!state.has(path)) visit(path);
  return found;
}
