import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRuntimes, parseAddRuntime } from './runtimes.js';
import { resolveConfig } from './config.js';
import { parseDaemonArgs } from './flags.js';

test('runtimes: built-in runc and crun, file and flag runtimes beside them', () => {
  const r = resolveRuntimes({
    fileRuntimes: { custom: { path: '/opt/rt', runtimeArgs: ['--debug'] } },
    flagRuntimes: ['other=/usr/local/bin/other'],
  });
  assert.deepEqual(Object.keys(r.runtimes).sort(), ['crun', 'custom', 'other', 'runc']);
  assert.deepEqual(r.runtimes.custom, { path: '/opt/rt', runtimeArgs: ['--debug'] });
  assert.deepEqual(r.runtimes.other, { path: '/usr/local/bin/other', runtimeArgs: [] });
  assert.equal(r.defaultRuntime, undefined);
  assert.equal(resolveRuntimes({ fileDefault: 'runc' }).defaultRuntime, 'runc');
  assert.equal(resolveRuntimes({ flagRuntimes: ['x=/x'], flagDefault: 'x' }).defaultRuntime, 'x');
});

test('runtimes: dockerd\'s errors', () => {
  assert.throws(() => resolveRuntimes({ fileDefault: 'nope' }), { message: "specified default runtime 'nope' does not exist" });
  assert.throws(() => resolveRuntimes({ flagDefault: 'nope' }), /specified default runtime 'nope' does not exist/);
  assert.throws(() => resolveRuntimes({ fileRuntimes: { runc: { path: '/x' } } }), /runtime name 'runc' is reserved/);
  assert.throws(() => resolveRuntimes({ flagRuntimes: ['crun=/x'] }), /runtime name 'crun' is reserved/);
  assert.throws(() => resolveRuntimes({ fileRuntimes: { a: {} } }), /runtime a: either a runtimeType or a path must be configured/);
  assert.throws(() => resolveRuntimes({ fileRuntimes: { a: { path: '/a', runtimeArgs: 'x' } } }), /runtimeArgs must be a list of strings/);
  assert.throws(() => resolveRuntimes({ fileRuntimes: 'x' }), /runtimes must be an object/);
  assert.throws(() => parseAddRuntime(['novalue']), /invalid runtime argument: novalue/);
  assert.throws(() => parseAddRuntime(['a=']), /invalid runtime argument: a=/);
  assert.throws(() => resolveRuntimes({ fileDefault: 'runc', flagDefault: 'crun' }), /specified both as a flag and in the configuration file: default-runtime/);
  assert.throws(() => resolveRuntimes({ fileRuntimes: { a: { path: '/a' } }, flagRuntimes: ['a=/b'] }), /specified both as a flag and in the configuration file: runtimes/);
});

test('runtimes reach the daemon config from daemon.json and from the flags', () => {
  const a = parseDaemonArgs(['--add-runtime', 'mine=/opt/mine', '--default-runtime', 'mine']);
  assert.equal(a.kind, 'run');
  const cfg = resolveConfig(a.kind === 'run' ? a.flags : {}, undefined);
  assert.equal(cfg.runtimes.defaultRuntime, 'mine');
  assert.equal(cfg.runtimes.runtimes.mine?.path, '/opt/mine');
  const f = resolveConfig({}, { runtimes: { k: { path: 'k-rt' } }, 'default-runtime': 'runc' });
  assert.equal(f.runtimes.defaultRuntime, 'runc');
  assert.equal('runtimes' in f.extra, false);
  assert.equal('default-runtime' in f.extra, false);
});
