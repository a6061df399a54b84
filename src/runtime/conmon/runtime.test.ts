import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runcMessage } from './runtime.js';

test('runtime errors read as runc words them, whichever runtime wrote them', () => {
  assert.equal(runcMessage('time="2026-01-01T00:00:00Z" level=error msg="runc create failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH"'),
    'unable to start container process: exec: "nope": executable file not found in $PATH');
  assert.equal(runcMessage('executable file `nope` not found in $PATH: No such file or directory'), 'exec: "nope": executable file not found in $PATH');
  assert.equal(runcMessage('crun: open executable: Permission denied'), 'open executable: permission denied');
  assert.equal(runcMessage('chdir to `/x`: No such file or directory'), 'chdir to `/x`: no such file or directory');
});
