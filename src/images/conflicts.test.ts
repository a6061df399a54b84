import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conflictError, deleteConflict, isImageIDPrefix } from './conflicts.js';

const ID = `sha256:${'ab'.repeat(32)}`;
const all = { running: true, references: true, stopped: true };

test('rmi conflicts in moby\'s order: children, a running container, other references, a stopped container', () => {
  const running = { id: 'c'.repeat(64), running: true };
  const stopped = { id: 'd'.repeat(64), running: false };
  assert.deepEqual(deleteConflict([running, stopped], all, { hasChildren: true, referenced: true }), { hard: true, used: false, message: 'image has dependent child images' });
  assert.deepEqual(deleteConflict([stopped, running], all, { hasChildren: false, referenced: true }), { hard: true, used: true, message: `image is being used by running container ${'c'.repeat(12)}` });
  assert.deepEqual(deleteConflict([stopped], all, { hasChildren: false, referenced: true }), { hard: false, used: false, message: 'image is referenced in multiple repositories' });
  assert.deepEqual(deleteConflict([stopped], all, { hasChildren: false, referenced: false }), { hard: false, used: true, message: `image is being used by stopped container ${'d'.repeat(12)}` });
  // forced: only the hard ones count
  const forced = { running: true, references: false, stopped: false };
  assert.equal(deleteConflict([stopped], forced, { hasChildren: false, referenced: true }), undefined);
  assert.equal(deleteConflict([], forced, { hasChildren: true, referenced: false })?.message, 'image has dependent child images');
  assert.equal(deleteConflict([], all, { hasChildren: false, referenced: false }), undefined);
});

test('rmi conflict texts and id prefixes, as Docker', () => {
  assert.equal(conflictError(ID, { hard: true, used: false, message: 'image has dependent child images' }).message,
    'conflict: unable to delete abababababab (cannot be forced) - image has dependent child images');
  assert.match(conflictError(ID, { hard: false, used: false, message: 'x' }).message, /\(must be forced\) - x$/);
  assert.ok(isImageIDPrefix(ID, 'abab') && isImageIDPrefix(ID, 'sha256:abab') && !isImageIDPrefix(ID, 'busybox'));
});
