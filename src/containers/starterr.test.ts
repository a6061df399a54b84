import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError, conflict, internal } from '../core/errors.js';
import { startFailure } from './starterr.js';

test('a missing command is the user\'s error: 400, exit code 127', () => {
  const f = startFailure(internal('runc create failed: exec: "nosuch": executable file not found in $PATH'), 'nosuch');
  assert.equal(f.exitCode, 127);
  assert.equal(f.error.kind, 'InvalidArgument');
  assert.match(f.error.message, /^failed to create task for container: OCI runtime create failed: .*executable file not found.*: unknown$/);
});

test('a command that cannot be run: 400, exit code 126', () => {
  const f = startFailure(new Error('exec /etc/passwd: permission denied'), '/etc/passwd');
  assert.deepEqual([f.exitCode, f.error.kind], [126, 'InvalidArgument']);
});

test('a file bound onto a folder: 400, 127, with Docker\'s hint', () => {
  const f = startFailure(new Error('mount src=/x, dst=/etc/hosts: not a directory'), 'sh');
  assert.deepEqual([f.exitCode, f.error.kind], [127, 'InvalidArgument']);
  assert.match(f.error.message, /Are you trying to mount a directory onto a file \(or vice-versa\)\?/);
});

test('any other runtime failure is the engine\'s: 500, exit code 128', () => {
  for (const e of [new Error('conmon failed: boom'), internal('runc create failed: cgroup error')]) {
    const f = startFailure(e, 'sh');
    assert.deepEqual([f.exitCode, f.error.kind], [128, 'Internal']);
    assert.equal(f.error.cause, e);
  }
});

test('an error of a kind keeps its kind and text', () => {
  const e = conflict('Bind for 0.0.0.0:80 failed: port is already allocated');
  const f = startFailure(e, 'sh');
  assert.equal(f.error, e);
  assert.ok(f.error instanceof BerthError);
});
