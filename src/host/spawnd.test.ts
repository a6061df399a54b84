import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { nativeHelper } from './native.js';
import { HostCommandError, run } from './process.js';
import { SpawnDaemon, SpawnError, parseConmonAnswer, parseExecAnswer, parseRunAnswer, spawnDaemon } from './spawnd.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('berth-spawnd answers: exit, signal, a failed start, conmon\'s sync line', () => {
  assert.deepEqual(parseRunAnswer(`x 3 ${b64('out')} -`, 'sh'), { code: 3, signal: null, stdout: Buffer.from('out'), stderr: Buffer.alloc(0) });
  assert.deepEqual(parseRunAnswer(`s 9 - ${b64('err')}`, 'sh'), { code: null, signal: 'SIGKILL', stdout: Buffer.alloc(0), stderr: Buffer.from('err') });
  const e = parseRunAnswer('e 2', 'ip');
  assert.ok(e instanceof SpawnError);
  assert.equal(e.code, 'ENOENT');
  assert.equal(e.message, 'spawn ip ENOENT');
  assert.deepEqual(parseConmonAnswer(`c ${b64('{"data": 42}')} -`, 'conmon'), { syncLine: '{"data": 42}', stderr: '' });
  assert.deepEqual(parseConmonAnswer(`c - ${b64('bad flag\n')}`, 'conmon'), { syncLine: undefined, stderr: 'bad flag\n' });
  assert.deepEqual(parseExecAnswer(`a ${b64('{"data": 0}')} -`, 'conmon'), { kind: 'a', line: '{"data": 0}', stderr: '' });
  assert.deepEqual(parseExecAnswer('z -', 'conmon'), { kind: 'z', line: undefined, stderr: '' });
  assert.throws(() => parseRunAnswer('x', 'sh'), /unexpected answer/);
  assert.throws(() => parseConmonAnswer('x 1 - -', 'conmon'), /unexpected answer/);
});

const helperPath = nativeHelper('berth-spawnd');
const withHelper = { skip: helperPath && process.env.BERTH_SPAWND !== '0' ? false : 'berth-spawnd not built' };

test('berth-spawnd runs programs at once and answers each as it ends', withHelper, async () => {
  const d = new SpawnDaemon(helperPath!);
  const order: string[] = [];
  const slow = d.run('/bin/sh', ['-c', 'sleep 0.4; echo slow'], {}).then((r) => { order.push('slow'); return r; });
  const fast = d.run('/bin/sh', ['-c', 'echo fast; echo warn >&2; exit 3'], {}).then((r) => { order.push('fast'); return r; });
  const [s, f] = await Promise.all([slow, fast]);
  assert.deepEqual(order, ['fast', 'slow']);
  assert.equal(s.stdout.toString(), 'slow\n');
  assert.deepEqual({ code: f.code, out: f.stdout.toString(), err: f.stderr.toString() }, { code: 3, out: 'fast\n', err: 'warn\n' });
});

test('berth-spawnd: input, environment, folder, PATH search, a clean signal state and no leaked descriptors', withHelper, async () => {
  const d = new SpawnDaemon(helperPath!);
  assert.equal((await d.run('cat', [], { input: 'hello\nworld' })).stdout.toString(), 'hello\nworld');
  assert.equal((await d.run('/usr/bin/env', [], { env: { A: 'b', C: undefined } })).stdout.toString(), 'A=b\n');
  assert.equal((await d.run('/bin/pwd', [], { cwd: '/tmp' })).stdout.toString(), '/tmp\n');
  // the helper blocks SIGCHLD and ignores SIGPIPE for itself: its programs must start with neither
  const status = (await d.run('cat', ['/proc/self/status'], {})).stdout.toString();
  assert.match(status, /^SigBlk:\s+0+$/m);
  assert.match(status, /^SigIgn:\s+0+$/m);
  // the shell's own descriptors: stdin, stdout, stderr and nothing of the helper's
  const fds = (await d.run('/bin/sh', ['-c', 'ls /proc/$$/fd'], {})).stdout.toString().trim().split('\n');
  assert.deepEqual(fds, ['0', '1', '2']);
});

test('berth-spawnd: a program that cannot start is a SpawnError, as Node words it; a kill ends a program', withHelper, async () => {
  const d = new SpawnDaemon(helperPath!);
  await assert.rejects(d.run('/nonexistent/prog', [], {}), (e: SpawnError) => e.code === 'ENOENT' && e.message === 'spawn /nonexistent/prog ENOENT');
  await assert.rejects(d.run('/bin/true', [], { cwd: '/nonexistent' }), (e: SpawnError) => e.code === 'ENOENT');
  const t0 = Date.now();
  const r = await d.run('/bin/sleep', ['30'], {}, (kill) => setTimeout(() => kill(9), 100));
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(Date.now() - t0 < 10_000);
});

test('berth-spawnd starts conmon-like programs: answered at the sync pipe\'s first line, while the program still runs', withHelper, async () => {
  const d = new SpawnDaemon(helperPath!);
  // the line on fd 3, then a background process that keeps stderr and the sync pipe open for 3 s
  const t0 = Date.now();
  const r = await d.conmon('/bin/sh', ['-c', 'echo warn >&2; echo "{\\"data\\": $X}" >&3; sleep 3 &'], { cwd: '/', env: { X: '42' } });
  assert.ok(Date.now() - t0 < 2500, 'answered before the pipes closed');
  assert.equal(r.syncLine, '{"data": 42}');
  assert.equal(r.stderr, 'warn\n');
  // closed without a line: what came, and stderr
  const bad = await d.conmon('/bin/sh', ['-c', 'echo "no runtime" >&2; printf "{\\"data\\": -1" >&3'], { cwd: '/', env: {} });
  assert.deepEqual(bad, { syncLine: '{"data": -1', stderr: 'no runtime\n' });
});

test('host run() goes through berth-spawnd: errors and timeouts as before; input with a NUL through Node', withHelper, async () => {
  assert.ok(spawnDaemon());
  assert.equal((await run('/bin/sh', ['-c', 'echo ok'])).stdout, 'ok\n');
  await assert.rejects(run('/bin/sh', ['-c', 'echo nope >&2; exit 4']), (e: HostCommandError) => e.exitCode === 4 && /: nope$/.test(e.message));
  await assert.rejects(run('/bin/sleep', ['30'], { timeoutMs: 150 }), (e: HostCommandError) => e.signal === 'SIGKILL' && /timed out after 150 ms/.test(e.message));
  await assert.rejects(run('/nonexistent/prog', []), (e: HostCommandError) => e.exitCode === null && /ENOENT/.test(e.message));
  await assert.rejects(run('/bin/sh', ['-c', 'head -c 2000 /dev/zero'], { maxBuffer: 1000 }), /too much output/);
  assert.equal((await run('cat', [], { input: 'a\0b' })).stdout, 'a\0b');
});

test('berth-spawnd starts conmon for an exec: ready on the attach pipe, then the pid and the exit code once released', withHelper, async () => {
  const d = new SpawnDaemon(helperPath!);
  // conmon's protocol, played by sh: a byte on the start pipe, "ready" on the attach pipe, a second byte,
  // then the pid and the exit code on the sync pipe
  const script = 'head -c1 <&4 >/dev/null; echo warn >&2; echo "{\\"data\\": 0}" >&5; head -c1 <&4 >/dev/null; echo "{\\"data\\": $$}" >&3; sleep 0.2; echo "{\\"data\\": 7}" >&3';
  const x = d.exec('/bin/sh', ['-c', script], { cwd: '/', env: {} });
  assert.deepEqual(await x.ready, { line: '{"data": 0}', stderr: 'warn\n' });
  // not released: no pid yet
  const early = await Promise.race([x.pid, new Promise((r) => setTimeout(() => r('waiting'), 300))]);
  assert.equal(early, 'waiting');
  x.release();
  assert.match((await x.pid)!, /^\{"data": \d+\}$/);
  assert.equal(await x.exit, '{"data": 7}');
  // a conmon that cannot start fails every step
  const bad = d.exec('/nonexistent/conmon', [], { cwd: '/', env: {} });
  await assert.rejects(bad.ready, (e: SpawnError) => e.code === 'ENOENT');
  await assert.rejects(bad.exit, (e: SpawnError) => e.code === 'ENOENT');
});

test('berth-spawnd holds hundreds of programs at once (long execs each keep theirs), with the descriptor limit its programs had', withHelper, async () => {
  const d = new SpawnDaemon(helperPath!);
  const runs = Array.from({ length: 400 }, (_v, i) => d.run('/bin/sh', ['-c', `sleep 1; echo ${i}`], {}));
  const out = await Promise.all(runs);
  assert.deepEqual(out.map((r) => r.stdout.toString()), out.map((_r, i) => `${i}\n`));
  // the helper may raise its own soft limit for all those pipes; what it starts gets what Node's spawn gives
  const limit = (await d.run('/bin/sh', ['-c', 'ulimit -Sn'], {})).stdout.toString().trim();
  assert.equal(limit, execFileSync('/bin/sh', ['-c', 'ulimit -Sn']).toString().trim());
});
