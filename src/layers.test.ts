/**
 * The floor plan, checked on the sources (docs/architecture.md draws it): every folder of src/ has a
 * floor, a file imports only from its own folder or from folders on lower floors, and no files import
 * each other in a cycle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

/** floor of each top-level folder of src/: imports point to lower floors only */
export const FLOORS: Record<string, number> = {
  api: 0,
  core: 1,
  host: 2,
  content: 3,
  snapshots: 4, runtime: 4, network: 4, volumes: 4, registry: 4, client: 4,
  images: 5, bootstrap: 5,
  containers: 6,
  build: 7, compose: 7,
  server: 8,
  cli: 9, daemon: 9,
};

/** the sources: dist/src/layers.test.js runs beside the compiled tree, the .ts files are two floors up */
const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testdata' ? [] : sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** relative imports of a file (static, re-exports and dynamic), as absolute .ts paths */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm)) {
    out.push(path.resolve(path.dirname(file), m[2]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

const folderOf = (file: string) => path.relative(SRC, file).split(path.sep)[0]!;

test('every folder of src/ has a floor', { skip: !existsSync(SRC) && 'sources not present' }, () => {
  const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.deepEqual(folders.filter((f) => FLOORS[f] === undefined), []);
});

test('imports point down: no folder imports one on its own floor or above', { skip: !existsSync(SRC) && 'sources not present' }, () => {
  const bad: string[] = [];
  for (const file of sources(SRC).filter((f) => !f.endsWith('.test.ts') && path.dirname(f) !== SRC)) {
    const from = folderOf(file);
    for (const target of importsOf(file)) {
      const to = folderOf(target);
      if (to !== from && !(FLOORS[to]! < FLOORS[from]!)) bad.push(`${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('no import cycles between files', { skip: !existsSync(SRC) && 'sources not present' }, () => {
  const files = sources(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => existsSync(t))]));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 'open') cycles.push(stack.slice(stack.indexOf(t)).concat(t).map((p) => path.relative(SRC, p)).join(' -> '));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test('no source file passes 650 lines', { skip: !existsSync(SRC) && 'sources not present' }, () => {
  const long = sources(SRC).filter((f) => !f.endsWith('.test.ts'))
    .map((f) => [path.relative(SRC, f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 650);
  assert.deepEqual(long, []);
});
