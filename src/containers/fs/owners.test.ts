import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { archiveOwner, hostOwner, OVERFLOW_ID, rootOwner } from './owners.js';

const m = {
  uids: [{ containerID: 0, hostID: 400000, size: 65536 }, { containerID: 65536, hostID: 600000, size: 10 }],
  gids: [{ containerID: 0, hostID: 500000, size: 1000 }],
};
const invalid = (re: RegExp) => (e: unknown) => isKind(e, 'InvalidArgument') && re.test((e as Error).message);
const file = (uid: number, gid: number) => ({ uid, gid, rdev: 0, isCharacterDevice: () => false });
const whiteout = (uid: number, gid: number) => ({ uid, gid, rdev: 0, isCharacterDevice: () => true });

test('hostOwner: tar ids shifted into the maps (uids and gids each through their own); Docker\'s error outside', () => {
  assert.deepEqual(hostOwner({ uid: 0, gid: 0 }, m), { uid: 400000, gid: 500000 });
  assert.deepEqual(hostOwner({ uid: 1000, gid: 999 }, m), { uid: 401000, gid: 500999 });
  assert.deepEqual(hostOwner({ uid: 65537, gid: 1 }, m), { uid: 600001, gid: 500001 });
  assert.throws(() => hostOwner({ uid: 70000, gid: 0 }, m), invalid(/^Container ID 70000 cannot be mapped to a host ID$/));
  assert.throws(() => hostOwner({ uid: 0, gid: 1000 }, m), invalid(/^Container ID 1000 cannot be mapped to a host ID$/));
  assert.deepEqual(hostOwner({ uid: 70000, gid: 1000 }, undefined), { uid: 70000, gid: 1000 });
});

test('rootOwner: the remapped root, or root without maps', () => {
  assert.deepEqual(rootOwner(m), { uid: 400000, gid: 500000 });
  assert.deepEqual(rootOwner(undefined), { uid: 0, gid: 0 });
});

test('archiveOwner: host ids back to container ids; outside the maps an error or the overflow id', () => {
  assert.deepEqual(archiveOwner(file(400000, 500000), m, 'error'), { uid: 0, gid: 0 });
  assert.deepEqual(archiveOwner(file(401000, 500010), m, 'overflow'), { uid: 1000, gid: 10 });
  assert.deepEqual(archiveOwner(file(600009, 500000), m, 'error'), { uid: 65545, gid: 0 });
  assert.throws(() => archiveOwner(file(0, 500000), m, 'error'), invalid(/^Host ID 0 cannot be mapped to a container ID$/));
  assert.throws(() => archiveOwner(file(400000, 501000), m, 'error'), invalid(/^Host ID 501000 cannot be mapped to a container ID$/));
  assert.deepEqual(archiveOwner(file(0, 1000), m, 'overflow'), { uid: OVERFLOW_ID, gid: OVERFLOW_ID });
  assert.deepEqual(archiveOwner(file(400000, 7), m, 'overflow'), { uid: 0, gid: OVERFLOW_ID });
  assert.equal(OVERFLOW_ID, 65534);
  // without maps every id is kept, even in strict mode
  assert.deepEqual(archiveOwner(file(0, 1234567), undefined, 'error'), { uid: 0, gid: 1234567 });
});

test('archiveOwner: an overlay whiteout is shifted when it can be, else keeps its host ids, never an error', () => {
  assert.deepEqual(archiveOwner(whiteout(0, 0), m, 'error'), { uid: 0, gid: 0 });
  assert.deepEqual(archiveOwner(whiteout(400000, 500000), m, 'error'), { uid: 0, gid: 0 });
  assert.deepEqual(archiveOwner(whiteout(5, 400000), m, 'overflow'), { uid: 5, gid: 400000 });
  // a real character device is not a whiteout
  assert.throws(() => archiveOwner({ uid: 0, gid: 0, rdev: 0x0103, isCharacterDevice: () => true }, m, 'error'), invalid(/^Host ID 0 /));
});
