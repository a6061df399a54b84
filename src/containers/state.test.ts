import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus } from '../api/types.js';
import { checkStart, checkStop, checkKill, checkRemove, checkExec, checkPause, checkUnpause, isActive } from './state.js';

const all: ContainerStatus[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

test('start: allowed from created and exited only; running is 304', () => {
  const allowed = all.filter((s) => !checkStart(s, 'x'));
  assert.deepEqual(allowed, ['created', 'restarting', 'exited']);
  assert.equal(checkStart('running', 'x')?.kind, 'NotModified');
  assert.equal(checkStart('paused', 'x')?.kind, 'Conflict');
});

test('stop: only active containers; others are 304', () => {
  for (const s of all) assert.equal(checkStop(s) === undefined, isActive(s), s);
  assert.equal(checkStop('exited')?.kind, 'NotModified');
});

test('kill: a stopped container is a 409 naming it', () => {
  const e = checkKill('exited', 'abc');
  assert.equal(e?.kind, 'Conflict');
  assert.match(e!.message, /container abc is not running/);
  assert.equal(checkKill('running', 'abc'), undefined);
});

test('remove: running needs force; removing always conflicts', () => {
  assert.equal(checkRemove('running', 'a', false)?.kind, 'Conflict');
  assert.equal(checkRemove('running', 'a', true), undefined);
  assert.equal(checkRemove('exited', 'a', false), undefined);
  assert.equal(checkRemove('created', 'a', false), undefined);
  assert.equal(checkRemove('removing', 'a', true)?.kind, 'Conflict');
});

test('exec: only running', () => {
  assert.equal(checkExec('running', 'a'), undefined);
  assert.match(checkExec('exited', 'a')!.message, /is not running/);
  assert.match(checkExec('paused', 'a')!.message, /paused/);
});

test('pause: only a running container; unpause: only a paused one (409 otherwise)', () => {
  assert.deepEqual(all.filter((s) => !checkPause(s, 'x')), ['running']);
  assert.match(checkPause('paused', 'x')!.message, /Container x is already paused/);
  assert.match(checkPause('exited', 'x')!.message, /container x is not running/);
  assert.deepEqual(all.filter((s) => !checkUnpause(s, 'x')), ['paused']);
  assert.equal(checkUnpause('running', 'x')?.kind, 'Conflict');
  assert.match(checkExec('restarting', 'x')!.message, /is restarting, wait until the container is running/);
});
