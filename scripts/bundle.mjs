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
 * replaced by stubs that hand the invocation over to berth.js (see src/cli/fast.ts). A third,
 * OUT/bundle/cli/compose.cjs, is the same with Compose in it, for `berth compose ...` (its own cache).
 *
 *   node scripts/bundle.mjs [OUT]     (OUT defaults to dist; `npm run build` runs it)
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
const COLD = /^\.\.\/(commands\/(filesystem|registryserver|bootstrap)|compose\/(index|plugin))\.js$/;
const coldStubs = (cold) => ({
  name: 'berth-cold-stubs',
  setup(b) {
    b.onResolve({ filter: cold }, (a) =>
      a.kind === 'dynamic-import' && a.importer.includes(`${path.sep}cli${path.sep}register${path.sep}`) ? { path: a.path, namespace: 'cold' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'cold' }, () => ({
      contents: "module.exports = { then() { globalThis[Symbol.for('berth.cli.cold')](); } };",
      loader: 'js',
    }));
  },
});

/** What Compose's code cache is written from: a project with the attributes most have. */
const CACHE_PROJECT = `services:
  web:
    image: busybox
    command: ["sh", "-c", "sleep 1"]
    environment: {A: "\${A:-1}"}
    ports: ["127.0.0.1:8080:80"]
    volumes: ["data:/data", "./x:/x:ro"]
    depends_on: {db: {condition: service_healthy}}
    networks: [front]
  db:
    image: busybox
    healthcheck: {test: ["CMD", "true"], interval: 1s}
    networks: [front]
networks:
  front: {}
volumes:
  data: {}
`;

/** A CommonJS bundle of the CLI (src/cli/fast.js) whose heavy modules matching `cold` are stubs (`stubs` of them). */
async function fastBundle(file, cold, stubs) {
  const r = await build({
    entryPoints: [path.join(out, 'src/cli/fast.js')],
    outfile: path.join(out, 'bundle/cli', file),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external,
    // a module that finds its files from its own place (host/native.js) finds them from the bundle's
    define: { 'import.meta.url': '__berthModuleUrl' },
    banner: { js: "const __berthModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    plugins: [coldStubs(cold)],
    metafile: true,
    logLevel: 'warning',
  });
  // every stub must be in place: a module that moved would silently make the bundle heavy again
  const stubbed = Object.keys(r.metafile.inputs).filter((k) => k.startsWith('cold:')).length;
  if (stubbed !== stubs) throw new Error(`bundle.mjs: expected ${stubs} cold stubs in ${file}, found ${stubbed}: update its cold modules`);
}
await fastBundle('fast.cjs', COLD, 5);
// Compose's: every module Compose runs is in (cp's too), the others stay stubs
await fastBundle('compose.cjs', /^\.\.\/commands\/(filesystem|registryserver|bootstrap)\.js$/, 3);

// the loader, berth.cjs, and V8's code cache for each bundle, from one run of a command (scripts/cli-loader.cjs)
const loader = path.join(out, 'bundle/cli/berth.cjs');
await copyFile(fileURLToPath(new URL('./cli-loader.cjs', import.meta.url)), loader);
const { NODE_OPTIONS: _options, ...env } = process.env;
function writeCache(file, args, o = {}) {
  const cache = path.join(out, 'bundle/cli', `${file}.v8cache`);
  const run = spawnSync(process.execPath, [loader, ...args], { env: { ...env, ...o.env, BERTH_WRITE_CODE_CACHE: cache }, cwd: o.cwd, stdio: ['ignore', 'ignore', o.quiet ? 'ignore' : 'inherit'] });
  if ((!o.quiet && run.status !== 0) || !existsSync(cache)) throw new Error(`bundle.mjs: berth ${args.join(' ')} did not write ${cache} (status ${run.status})`);
}
writeCache('fast.cjs', ['--help']);
// Compose's from a no-op `up -d` as far as it goes without a daemon (it fails at its first request), on a
// project already found valid (the usual case: the schema validator stays out of the cache)
const dir = await mkdtemp(path.join(tmpdir(), 'berth-bundle-'));
try {
  await writeFile(path.join(dir, 'compose.yaml'), CACHE_PROJECT);
  const o = { cwd: dir, env: { BERTH_COMPOSE_CACHE: path.join(dir, 'valid'), DOCKER_HOST: `unix://${path.join(dir, 'none.sock')}`, BERTH_HOST: `unix://${path.join(dir, 'none.sock')}` } };
  const marked = spawnSync(process.execPath, [loader, 'compose', 'config', '-q'], { env: { ...env, ...o.env }, cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  if (marked.status !== 0) throw new Error(`bundle.mjs: berth compose config -q failed (status ${marked.status})`);
  writeCache('compose.cjs', ['compose', 'up', '-d'], { ...o, quiet: true });
} finally {
  await rm(dir, { recursive: true, force: true });
}
