import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKind } from '../../core/errors.js';
import { parseMountInfo } from '../../host/mountinfo.js';
import { addLockedFlags, checkUsernsConflicts, inRemappedUserns, lockedFlags, usernsSpec } from './rules.js';
import { canAccess } from './setup.js';

const mapping = { uids: [{ containerID: 0, hostID: 400000, size: 65536 }], gids: [{ containerID: 0, hostID: 400000, size: 65536 }] };
const invalid = (re: RegExp) => (e: unknown) => isKind(e, 'InvalidArgument') && re.test((e as Error).message);

test('every container gets the namespace unless --userns host or the daemon has no remap', () => {
  assert.equal(inRemappedUserns(mapping, {}), true);
  assert.equal(inRemappedUserns(mapping, { UsernsMode: '' }), true);
  assert.equal(inRemappedUserns(mapping, { UsernsMode: 'host' }), false);
  assert.equal(inRemappedUserns(undefined, {}), false);
  assert.equal(usernsSpec(mapping, { UsernsMode: 'host' }), undefined);
  assert.equal(usernsSpec(undefined, {}), undefined);
});

test('Docker refuses privileged, host network and host pid in the namespace; --userns host allows them', () => {
  assert.throws(() => checkUsernsConflicts(mapping, { Privileged: true }), invalid(/^privileged mode is incompatible with user namespaces\.  You must run the container in the host namespace when running privileged mode$/));
  assert.throws(() => checkUsernsConflicts(mapping, { NetworkMode: 'host' }), invalid(/^cannot share the host's network namespace when user namespaces are enabled$/));
  assert.throws(() => checkUsernsConflicts(mapping, { PidMode: 'host' }), invalid(/^cannot share the host PID namespace when user namespaces are enabled$/));
  for (const hc of [{ Privileged: true }, { NetworkMode: 'host' }, { PidMode: 'host' }]) {
    checkUsernsConflicts(mapping, { ...hc, UsernsMode: 'host' });
    checkUsernsConflicts(undefined, hc);
  }
  checkUsernsConflicts(mapping, { NetworkMode: 'bridge', PidMode: 'container:abc', Privileged: false });
});

test('usernsSpec: the daemon maps, or the user namespace of the container whose namespaces are joined', () => {
  const s = usernsSpec(mapping, {});
  assert.deepEqual(s, { uidMappings: mapping.uids, gidMappings: mapping.gids });
  assert.notEqual(s?.uidMappings[0], mapping.uids[0]); // a copy
  assert.equal(usernsSpec(mapping, {}, ['/proc/42/ns/net', undefined])?.path, '/proc/42/ns/user');
  assert.equal(usernsSpec(mapping, {}, ['/proc/42/ns/net', '/proc/43/ns/ipc', '/proc/44/ns/pid'])?.path, '/proc/44/ns/user');
  assert.equal(usernsSpec(mapping, {}, ['/var/run/netns/x'])?.path, undefined);
});

test('lockedFlags: the per-mount flags of the deepest mount holding the source', () => {
  const info = parseMountInfo([
    '22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '30 22 0:26 / /run rw,nosuid,nodev,noexec,relatime shared:5 - tmpfs tmpfs rw',
    '31 30 0:27 / /run/lock rw,nosuid,nodev,noatime shared:6 - tmpfs tmpfs rw',
    '32 22 0:28 / /srv/ro ro,nodiratime shared:7 - ext4 /dev/vdb rw',
  ].join('\n'));
  assert.deepEqual(lockedFlags('/var/lib/x', info), ['relatime']);
  assert.deepEqual(lockedFlags('/run/berth/f', info), ['nodev', 'noexec', 'nosuid', 'relatime']);
  assert.deepEqual(lockedFlags('/run/lock', info), ['nodev', 'nosuid', 'noatime']);
  assert.deepEqual(lockedFlags('/run/lockfile', info), ['nodev', 'noexec', 'nosuid', 'relatime']);
  assert.deepEqual(lockedFlags('/srv/ro/a', info), ['ro', 'nodiratime']);
  const mounts = [
    { type: 'bind', source: '/run/x', options: ['rbind', 'ro', 'rprivate', 'nosuid'] },
    { type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] },
    { type: 'bind', source: '/var/lib/v' },
  ];
  addLockedFlags(mounts, (s) => lockedFlags(s, info));
  assert.deepEqual(mounts[0]?.options, ['rbind', 'ro', 'rprivate', 'nosuid', 'nodev', 'noexec', 'relatime']);
  assert.deepEqual(mounts[1]?.options, ['nosuid']);
  assert.deepEqual(mounts[2]?.options, ['relatime']);
});

test('canAccess: world x, owner x, or group x (dockerd\'s rudimentary check)', () => {
  const pair = { uid: 400000, gid: 400000 };
  assert.equal(canAccess({ mode: 0o40711, uid: 0, gid: 0 }, pair), true);
  assert.equal(canAccess({ mode: 0o40700, uid: 0, gid: 0 }, pair), false);
  assert.equal(canAccess({ mode: 0o40710, uid: 0, gid: 400000 }, pair), true);
  assert.equal(canAccess({ mode: 0o40700, uid: 400000, gid: 0 }, pair), true);
  assert.equal(canAccess({ mode: 0o40770, uid: 0, gid: 0 }, pair), false);
});
