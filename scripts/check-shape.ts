/**
 * `npm run check:cycles`: the source's shape, checked on every `npm test`.
 * - No import loop among src/**.ts (type-only imports included): strongly connected components
 *   of the relative-import graph (Tarjan), each printed as a loop.
 * - No file under src/ longer than MAX_LINES lines.
 * - src/ imports nothing from examples/, test/ or bench/ (the server never loads example code).
 * - src/http/ (plumbing) imports nothing above it: only itself, config, errors and crypto.
 * - Only src/store/ imports a database library (kysely, better-sqlite3, pg).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const MAX_LINES = 300;
/** Files allowed over MAX_LINES for now, each with its reason; printed on every run so none is forgotten. */
const OVER_LINES_FOR_NOW: Record<string, string> = {};
/** Database libraries: imported only under src/store/ (everything else goes through the Store port). */
const DATABASE_LIBRARIES = new Set(['kysely', 'better-sqlite3', 'pg']);
const HTTP_MAY_IMPORT = /^src\/(http\/|config\.ts$|config-defaults\.ts$|errors\.ts$|crypto\.ts$)/;
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

const sources = files(join(ROOT, 'src'));
const problems: string[] = [];
const graph = new Map<string, string[]>();
for (const file of sources) {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  const reason = OVER_LINES_FOR_NOW[relative(ROOT, file)];
  if (lines > MAX_LINES && reason !== undefined) process.stdout.write(`check:cycles: note: ${relative(ROOT, file)} has ${lines} lines, allowed for now: ${reason}\n`);
  else if (lines > MAX_LINES) problems.push(`${relative(ROOT, file)} has ${lines} lines (at most ${MAX_LINES})`);
  const targets: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (spec !== undefined && DATABASE_LIBRARIES.has(spec) && !relative(ROOT, file).startsWith('src/store/')) {
      problems.push(`${relative(ROOT, file)} imports ${spec}: only src/store/ may (use the Store port)`);
    }
    if (spec === undefined || !spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    const rel = relative(ROOT, target);
    if (!rel.startsWith('src/')) problems.push(`${relative(ROOT, file)} imports ${spec} from outside src/`);
    else targets.push(target);
    if (relative(ROOT, file).startsWith('src/http/') && !HTTP_MAY_IMPORT.test(rel)) {
      problems.push(`${relative(ROOT, file)} imports ${spec}: http plumbing imports nothing above it`);
    }
  }
  graph.set(file, targets);
}

// Tarjan's strongly connected components: a component of more than one file (or a file that
// imports itself) is an import loop.
let index = 0;
const order = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
function visit(v: string): void {
  order.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!order.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v)!, low.get(w)!));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
  }
  if (low.get(v) === order.get(v)) {
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) {
      problems.push(`import loop: ${component.map((f) => relative(ROOT, f)).sort().join(' ↔ ')}`);
    }
  }
}
for (const v of graph.keys()) if (!order.has(v)) visit(v);

if (problems.length > 0) {
  process.stderr.write(problems.map((p) => `check:cycles: ${p}\n`).join(''));
  process.exit(1);
}
process.stdout.write(`check:cycles: ${sources.length} files under src/, no import loop, none over ${MAX_LINES} lines but those listed\n`);
