'use strict';
/**
 * dist/bundle/cli/berth.cjs (copied there by scripts/bundle.mjs), what bin/berth runs: runs the CLI's
 * fast bundle, fast.cjs beside it (compose.cjs for `berth compose`), with V8's code cache for it
 * (fast.cjs.v8cache, written at build time by running `berth --help` once), so V8 deserializes the
 * compiled top level instead of parsing 400 kB of JavaScript on every start. A cache V8 rejects (another Node, other V8 flags) costs nothing but the
 * saving: V8 then compiles from the source as without it.
 */
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

// `berth build ...` always ends in the full bundle (its modules are stubs in the fast one): go there at
// once rather than load the fast bundle first (60-70 ms). `berth compose ...` has a bundle of its own,
// compose.cjs (the fast one with Compose in it). Only shortcuts: any other spelling (global options
// first, `builder`, `cp`...) reaches the full bundle through the hand-over.
if (process.argv[2] === 'build') {
  import(require('node:url').pathToFileURL(path.join(__dirname, 'berth.js')).href).catch((err) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
  return;
}

const file = path.join(__dirname, process.argv[2] === 'compose' ? 'compose.cjs' : 'fast.cjs');
const cacheFile = `${file}.v8cache`;
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  // no cache (a build without it): compiled from the source
}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
// scripts/bundle.mjs writes the cache with the functions the run compiled
if (process.env.BERTH_WRITE_CODE_CACHE === cacheFile) process.once('exit', () => fs.writeFileSync(cacheFile, script.createCachedData()));
const mod = new Module(file, module);
mod.filename = file;
mod.paths = Module._nodeModulePaths(__dirname);
// code compiled by vm.Script has no import() of its own: the hand-over to the full bundle uses this one
globalThis[Symbol.for('berth.cli.import')] = (url) => import(url);
script.runInThisContext()(mod.exports, (id) => mod.require(id), mod, file, __dirname);
