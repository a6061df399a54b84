// Moves TypeScript files or folders with git mv and rewrites every relative import that pointed at them
// (and the moved files' own relative imports). Usage: node scripts/move.mjs from:to [from:to ...]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = process.cwd();
const list = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
  const p = path.join(dir, e.name);
  if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : list(p);
  return /\.(ts|mts)$/.test(e.name) ? [p] : [];
});
const all = ['src', 'test', 'bench', 'scripts'].filter((d) => fs.existsSync(d)).flatMap((d) => list(path.join(root, d)));
const moved = new Map();
for (const arg of process.argv.slice(2)) {
  const [from, to] = arg.split(':').map((p) => path.resolve(root, p));
  for (const f of all) {
    if ((f === from || f.startsWith(from + path.sep)) && !moved.has(f)) moved.set(f, path.join(to, path.relative(from, f)) || to);
    if (f === from) moved.set(f, to);
  }
}
const newOf = (f) => moved.get(f) ?? f;
const rewrites = new Map();
for (const f of all) {
  const src = fs.readFileSync(f, 'utf8');
  const out = src.replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\2/g, (m, pre, q, spec) => {
    const target = path.resolve(path.dirname(f), spec.replace(/\.js$/, '.ts'));
    if (!moved.has(target) && !moved.has(f)) return m;
    let rel = path.relative(path.dirname(newOf(f)), newOf(target)).replace(/\.ts$/, '.js');
    if (!rel.startsWith('.')) rel = './' + rel;
    return `${pre}${q}${rel}${q}`;
  });
  if (out !== src) rewrites.set(f, out);
}
for (const [from, to] of new Map(process.argv.slice(2).map((a) => a.split(':')))) {
  fs.mkdirSync(path.dirname(path.resolve(root, to)), { recursive: true });
  execFileSync('git', ['mv', from, to]);
}
for (const [f, text] of rewrites) fs.writeFileSync(newOf(f), text);
console.log(`moved ${moved.size} files, rewrote imports in ${rewrites.size}`);
