/**
 * BerthCommand keeps a subcommand's options aside until the command is parsed or a help shows it:
 * the program must behave as if they had been registered at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram } from './main.js';
import type { BerthCommand } from './program.js';

const reg = { status: 0, ctx: () => { throw new Error('no command runs in this test'); } };

function sub(p: BerthCommand, ...names: string[]): BerthCommand {
  let c = p;
  for (const n of names) c = c.commands.find((x) => x.name() === n) as BerthCommand;
  return c;
}

test('a subcommand registers its options only when it is parsed', async () => {
  const program = buildProgram(reg);
  program.exitOverride();
  // nothing parsed yet: the container flags of `run` are kept aside
  assert.equal(sub(program, 'run').options.length, 0);
  assert.equal(sub(program, 'ps').options.length, 0);
  // parsing `ps --bogus` registers ps's options (and only ps's), then reports the unknown flag
  await assert.rejects(program.parseAsync(['ps', '--bogus'], { from: 'user' }), /unknown flag: --bogus/);
  assert.ok(sub(program, 'ps').options.some((o) => o.long === '--all'));
  assert.equal(sub(program, 'run').options.length, 0);
});

test('a help lists the options of the command and marks which subcommands take some', () => {
  const program = buildProgram(reg);
  const top = program.helpInformation();
  assert.match(top, /^ {2}run \[options\] +Create and run a new container from an image$/m);
  assert.match(top, /^ {2}-H, --host <string> +Daemon socket to connect to$/m);
  const run = sub(program, 'run').helpInformation();
  assert.match(run, /^ {2}--rm +Automatically remove the container/m);
  // the same text as when every option is registered up front (by parsing first)
  const again = buildProgram(reg);
  sub(again, 'run').parseOptions([]);
  assert.equal(sub(again, 'run').helpInformation(), run);
  const group = sub(program, 'container').helpInformation();
  assert.match(group, /^ {2}ps\|ls \[options\] +List containers$/m);
});

test('opts() of a command not parsed gives its defaults, as if registered at once', () => {
  const program = buildProgram(reg);
  const compose = sub(program, 'compose');
  assert.equal(compose.opts().parallel, '-1');
});
