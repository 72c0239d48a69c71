/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --profile <dir>`): self time by function and
 * by file, and total time of the project's own functions, heaviest first, so that a hot spot can be found without
 * opening DevTools.
 *
 *   npx tsx bench/profile-summary.ts bench/profiles/ours.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

// Piped into `head`: stop quietly when the reader is gone.
process.stdout.on('error', () => process.exit(0));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--top N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const top = Number(values.top);

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
/** Time spent in a project function or anything it called, each function counted once per sample. */
const inclusive = new Map<string, number>();
let total = 0;
const add = (map: Map<string, number>, key: string, delta: number) => map.set(key, (map.get(key) ?? 0) + delta);
const label = (frame: ProfileNode['callFrame']) =>
  `${frame.functionName || '(anonymous)'}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  const frame = byId.get(id)?.callFrame;
  if (!frame) return;
  total += delta;
  add(byFunction, label(frame), delta);
  add(byFile, shortUrl(frame.url), delta);
  const onStack = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const caller = byId.get(at)?.callFrame;
    if (caller && /^(?:src|jobs|workers)\//.test(shortUrl(caller.url))) onStack.add(label(caller));
  }
  for (const key of onStack) add(inclusive, key, delta);
});

/** `node_modules/<package>` for dependencies, the repository path for our files, `(native)` for the rest. */
function shortUrl(url: string): string {
  if (!url) return '(native)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (modules) return `${modules[1]}/${modules[2]}`;
  const ours = /\/((?:src|jobs|workers|bench|test)\/.*)$/.exec(url);
  return ours?.[1] ?? url.replace(/^file:\/\//, '');
}

const print = (title: string, entries: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(
      `${((micros / total) * 100).toFixed(1).padStart(6)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}`,
    );
};
console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
print('self time by function', byFunction);
print('self time by file', byFile);
print('total time (self + callees) of project functions', inclusive);
