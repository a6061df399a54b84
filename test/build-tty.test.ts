/**
 * `berth build` on a terminal (a pty from script(1)): with --progress=auto and =tty it draws BuildKit's
 * kind of live view (a header with the time and the steps done, one line per step with its time, CACHED
 * for hits, redrawn in place with cursor movements) instead of the classic text; with --progress=plain
 * the classic text, on a terminal too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BERTH_CLI, busyboxDaemon, runCmd } from './harness.js';

const t = busyboxDaemon();

/** Runs the berth CLI with a pty for its stdin, stdout and stderr; what the terminal received. */
async function onTerminal(args: string[]): Promise<{ code: number; out: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = `stty cols 120 rows 40; ${[process.execPath, BERTH_CLI, ...args].map(quote).join(' ')}`;
  const r = await runCmd('script', ['-qefc', cmd, '/dev/null'], { env: { ...process.env, BERTH_HOST: t.d.host, DOCKER_HOST: t.d.host }, timeout: 180000 });
  return { code: r.code, out: r.stdout };
}

test('berth build on a terminal: the live view, CACHED on a rebuild; plain on request', async () => {
  const ctx = await fsp.mkdtemp(path.join(os.tmpdir(), 'bt-tty-'));
  try {
    await fsp.writeFile(path.join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo to-stdout && echo to-stderr >&2 && sleep 1\nENV A=1\n');
    const first = await onTerminal(['build', '-t', 'tty:1', ctx]);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /\[\+\] Building \d+\.\ds \(3\/3\) FINISHED/);
    assert.match(first.out, / => \[1\/3\] FROM busybox +\d+\.\ds/);
    assert.match(first.out, / => \[2\/3\] RUN echo to-stdout/);
    assert.match(first.out, /\x1b\[\d+A/); // redrawn in place
    assert.doesNotMatch(first.out, /^Step 1\/3/m);
    assert.doesNotMatch(first.out, /\x1b\[91m/); // the view strips the stream's color codes
    const again = await onTerminal(['build', '--progress=tty', '-t', 'tty:1', ctx]);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, / => CACHED \[2\/3\] RUN echo to-stdout/);
    const plain = await onTerminal(['build', '--progress=plain', '--no-cache', '-t', 'tty:1', ctx]);
    assert.equal(plain.code, 0, plain.out);
    assert.match(plain.out, /Step 2\/3 : RUN echo to-stdout/);
    assert.match(plain.out, /to-stdout/);
    assert.doesNotMatch(plain.out, /\[\+\] Building/);
  } finally {
    await t.d.berth(['rmi', 'tty:1']);
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});
