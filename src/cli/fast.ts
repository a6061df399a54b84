/**
 * Entry of the CLI's fast bundle, dist/bundle/cli/fast.cjs (scripts/bundle.mjs), which bin/berth runs
 * through its loader, berth.cjs (scripts/cli-loader.cjs).
 *
 * One CommonJS file: Node loads it without its ES module loader (one read, one compile, no module
 * resolution), which saves 30 to 40 ms per command on the machines measured (bench/README.md, issue
 * 16). It holds the whole CLI except the modules behind the heavy commands (compose, build, cp, export,
 * diff, commit, the registry server, bootstrap): the bundler puts a stub in their place (scripts/bundle.mjs). A command
 * whose handler is such a stub hands the whole invocation over to the full bundle, berth.js (ES modules,
 * split, every command), with the same argv: a stub is only ever loaded by a command's dispatch in
 * src/cli/register, after commander's parsing and the operand-count check (the same code in both
 * bundles) and before the command reads input or writes anything, so the hand-over cannot be seen.
 *
 * Only for the bundler: as dist/src/cli/fast.js (ESM) it does not run (__dirname).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli } from './main.js';

let handedOver = false;
// What a stub calls (scripts/bundle.mjs writes them): the stub's exports are a thenable, so the
// `await import(...)` that loaded it adopts it and never settles; the fast bundle's command stops there,
// and the full bundle runs the invocation from the start.
(globalThis as Record<symbol, unknown>)[Symbol.for('berth.cli.cold')] = () => {
  if (handedOver) return;
  handedOver = true;
  // a computed specifier: the bundler leaves this import() as it is (the full bundle is ES modules).
  // Run by the loader (scripts/cli-loader.cjs) through vm.Script, this code has no import() of its own.
  const full = pathToFileURL(path.join(__dirname, 'berth.js')).href;
  const load = (globalThis as Record<symbol, unknown>)[Symbol.for('berth.cli.import')] as ((url: string) => Promise<unknown>) | undefined;
  (load ? load(full) : import(full)).catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
};

cli();
