/**
 * Bundles the compiled daemon and CLI (OUT/src, from tsc) into OUT/bundle/daemon/berthd.js and
 * OUT/bundle/cli/berth.js with esbuild: one module graph
 * per program instead of ~120 files. An idle berthd is about 7 MB smaller and both start faster, as Node
 * no longer resolves, loads and links every module on its own. What is loaded on first use (the registry
 * client, tar streams, templates) becomes a chunk of its own, still loaded on first use.
 *
 * The CLI gets a second bundle, OUT/bundle/cli/fast.cjs, which bin/berth runs through its loader
 * OUT/bundle/cli/berth.cjs (scripts/cli-loader.cjs, with V8's code cache): one CommonJS file (no ES
 * module loader, no chunks to resolve) with every command except the heavy ones, whose modules are
 * replaced by stubs that hand the invocation over to berth.js (see src/cli/fast.ts).
 *
 *   node scripts/bundle.mjs [OUT]     (OUT defaults to dist; `npm run build` runs it)
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const out = path.resolve(process.argv[2] ?? 'dist');
// native addons are loaded from node_modules as they are
const external = ['@napi-rs/xattr', 'node-unix-socket'];
// chunk names carry a hash of their content: start empty, so no chunk of an earlier build stays behind
await rm(path.join(out, 'bundle'), { recursive: true, force: true });
// each program on its own, so neither loads chunks it shares with the other
for (const [name, entry, dir] of [['berthd', 'src/daemon/berthd.js', 'daemon'], ['berth', 'src/cli/berth.js', 'cli']]) await build({
  entryPoints: { [name]: path.join(out, entry) },
  outdir: path.join(out, 'bundle', dir),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // CommonJS dependencies (tar-stream, dns-packet, commander) call require() for Node's own modules
  banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
  logLevel: 'warning',
});

/**
 * The modules of the heavy commands, as a command's dispatch in src/cli/register imports them (and only
 * there: the hand-over is invisible only at that point, before the command has done anything).
 */
const COLD = /^\.\.\/(commands\/(build|filesystem|registryserver|bootstrap)|compose\/(index|plugin))\.js$/;
const coldStubs = {
  name: 'berth-cold-stubs',
  setup(b) {
    b.onResolve({ filter: COLD }, (a) =>
      a.kind === 'dynamic-import' && a.importer.includes(`${path.sep}cli${path.sep}register${path.sep}`) ? { path: a.path, namespace: 'cold' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'cold' }, () => ({
      contents: "module.exports = { then() { globalThis[Symbol.for('berth.cli.cold')](); } };",
      loader: 'js',
    }));
  },
};
const fast = await build({
  entryPoints: [path.join(out, 'src/cli/fast.js')],
  outfile: path.join(out, 'bundle/cli/fast.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [coldStubs],
  metafile: true,
  logLevel: 'warning',
});
// every stub must be in place: a module that moved would silently make the fast bundle heavy again
const stubbed = Object.keys(fast.metafile.inputs).filter((k) => k.startsWith('cold:')).length;
if (stubbed !== 6) throw new Error(`bundle.mjs: expected 6 cold stubs in fast.cjs, found ${stubbed}: update COLD`);

// its loader, berth.cjs, and V8's code cache for it, from one run of `berth --help` (scripts/cli-loader.cjs)
const loader = path.join(out, 'bundle/cli/berth.cjs');
await copyFile(fileURLToPath(new URL('./cli-loader.cjs', import.meta.url)), loader);
const cache = path.join(out, 'bundle/cli/fast.cjs.v8cache');
const { NODE_OPTIONS: _options, ...env } = process.env;
const run = spawnSync(process.execPath, [loader, '--help'], { env: { ...env, BERTH_WRITE_CODE_CACHE: cache }, stdio: ['ignore', 'ignore', 'inherit'] });
if (run.status !== 0 || !existsSync(cache)) throw new Error(`bundle.mjs: berth --help did not write ${cache} (status ${run.status})`);
