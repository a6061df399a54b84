import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CopyPlanError, planCopy, rebaseName, splitCpArg, splitPathDirEntry } from './cpplan.js';

test('splitPathDirEntry keeps a trailing dot', () => {
  assert.deepEqual(splitPathDirEntry('/a/b'), ['/a', 'b']);
  assert.deepEqual(splitPathDirEntry('/a/b/'), ['/a', 'b']);
  assert.deepEqual(splitPathDirEntry('/a/b/.'), ['/a/b', '.']);
  assert.deepEqual(splitPathDirEntry('/'), ['/', '/']);
  assert.deepEqual(splitPathDirEntry('out'), ['.', 'out']);
});

test('planCopy follows the docker CLI rules', () => {
  const dir = (p: string, exists = true) => ({ path: p, exists, isDir: true });
  const file = (p: string, exists = true) => ({ path: p, exists, isDir: false });
  assert.deepEqual(planCopy(dir('/data'), dir('/tmp/x')), { dir: '/tmp/x' });
  assert.deepEqual(planCopy(dir('/data'), dir('/tmp/new', false)), { dir: '/tmp', rebase: { from: 'data', to: 'new' } });
  assert.deepEqual(planCopy(dir('/data/.'), dir('/tmp/new', false)), { dir: '/tmp', rebase: { from: '.', to: 'new' } });
  assert.deepEqual(planCopy(file('/etc/passwd'), file('/tmp/p')), { dir: '/tmp', rebase: { from: 'passwd', to: 'p' } });
  assert.deepEqual(planCopy({ ...file('/etc/real'), rebaseName: 'link' }, file('/tmp/l', false)), { dir: '/tmp', rebase: { from: 'link', to: 'l' } });
  assert.throws(() => planCopy(dir('/data'), file('/tmp/p')), CopyPlanError);
  assert.throws(() => planCopy(file('/etc/passwd'), file('/tmp/none/', false)), /no such directory/);
});

test('rebaseName replaces the leading base, the root base by a prefix', () => {
  assert.equal(rebaseName('data/sub/f', 'data', 'new'), 'new/sub/f');
  assert.equal(rebaseName('./f', '.', 'new'), 'new/f');
  assert.equal(rebaseName('/bin/sh', '/', 'x'), 'x/bin/sh');
  assert.equal(rebaseName('other', 'data', 'new'), 'other');
});

test('splitCpArg: container:path, local paths', () => {
  assert.deepEqual(splitCpArg('web:/tmp'), { container: 'web', path: '/tmp' });
  assert.deepEqual(splitCpArg('/tmp/a:b'), { path: '/tmp/a:b' });
  assert.deepEqual(splitCpArg('./x:y'), { path: './x:y' });
  assert.deepEqual(splitCpArg('-'), { path: '-' });
});
