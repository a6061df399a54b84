import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mount } from '../api/types.js';
import { BerthError } from '../core/errors.js';
import {
  asksSharedPropagation,
  bindOptions, cleanPath, inspectMounts, parseBind, parseMountSpec, parseVolumesFrom, planMounts, propagationPlan, specMounts, tmpfsData, validMountMode,
  type MountPlan,
} from './mounts.js';

const invalid = (message: string) => (e: unknown) => e instanceof BerthError && e.kind === 'InvalidArgument' && e.message === message;

test('cleanPath is Go path.Clean', () => {
  assert.equal(cleanPath('/data/'), '/data');
  assert.equal(cleanPath('/a/./b/../c//'), '/a/c');
  assert.equal(cleanPath('/'), '/');
  assert.equal(cleanPath(''), '.');
});

test('mount modes: known options, one of each kind', () => {
  for (const ok of ['', 'ro', 'rw', 'ro,z', 'Z,rshared', 'nocopy', 'rw,slave,nocopy,cached', 'ro-non-recursive', 'rro']) assert.ok(validMountMode(ok), ok);
  for (const bad of ['ro,rw', 'z,Z', 'shared,slave', 'nocopy,nocopy', 'foo', 'ro,', 'rw,bogus']) assert.ok(!validMountMode(bad), bad);
});

test('-v host:ctr binds, modes, propagation', () => {
  const b = parseBind('/host/dir/:/ctr/:ro,rshared');
  assert.deepEqual(
    { type: b.type, source: b.source, destination: b.destination, rw: b.rw, mode: b.mode, propagation: b.propagation, createSource: b.createSource },
    { type: 'bind', source: '/host/dir', destination: '/ctr', rw: false, mode: 'ro,rshared', propagation: 'rshared', createSource: true },
  );
  const d = parseBind('/a:/b');
  assert.deepEqual([d.rw, d.mode, d.propagation], [true, '', 'rprivate']);
  assert.deepEqual(bindOptions(d), ['rbind', 'rprivate']);
  assert.deepEqual(bindOptions(b), ['rbind', 'ro', 'rshared']);
  assert.equal(parseBind('/a:/b:z').rw, true);
  assert.equal(parseBind('/a:/b:rro').readOnlyForceRecursive, true);
});

test('-v name:ctr and -v /anon are volumes', () => {
  const n = parseBind('data:/var/lib/data:ro,nocopy');
  assert.deepEqual([n.type, n.name, n.anonymous, n.destination, n.rw, n.copyData, n.mode], ['volume', 'data', false, '/var/lib/data', false, false, 'ro,nocopy']);
  const a = parseBind('/anon');
  assert.deepEqual([a.type, a.name, a.anonymous, a.copyData, a.rw], ['volume', '', true, true, true]);
  assert.equal(parseBind('data:/x', 'local').driver, 'local');
  assert.equal(parseBind('/h:/x', 'local').driver, '', 'a volume driver is for volumes only');
});

test('-v errors are docker\'s', () => {
  assert.throws(() => parseBind(':/x'), invalid(`invalid volume specification: ':/x'`));
  assert.throws(() => parseBind('/foo:rw'), invalid(`invalid volume specification: '/foo:rw'`));
  assert.throws(() => parseBind('/foo:'), invalid(`invalid volume specification: '/foo:'`));
  assert.throws(() => parseBind('/a:/b:/c:/d'), invalid(`invalid volume specification: '/a:/b:/c:/d'`));
  assert.throws(() => parseBind('/a:/b:bogus'), invalid('invalid mode: bogus'));
  assert.throws(() => parseBind('/a:/b:ro,rw'), invalid('invalid mode: ro,rw'));
  assert.throws(() => parseBind('/a:rel'), invalid(`invalid volume specification: '/a:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`));
  assert.throws(() => parseBind('/a:/'), invalid(`invalid volume specification: '/a:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`));
  assert.throws(() => parseBind('/a:/b:nocopy'), invalid(`invalid volume specification: '/a:/b:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`));
  assert.throws(() => parseBind('data:/b:shared'), invalid(`invalid volume specification: 'data:/b:shared': invalid mount config for type "volume": field BindOptions must not be specified`));
});

test('--mount: bind source must exist unless CreateMountpoint; docker\'s errors', () => {
  const none = () => false;
  assert.throws(() => parseMountSpec({ Type: 'bind', Source: '/x', Target: '/y' }, none), invalid('invalid mount config for type "bind": bind source path does not exist: /x'));
  const created = parseMountSpec({ Type: 'bind', Source: '/x/', Target: '/y', BindOptions: { CreateMountpoint: true, Propagation: 'rslave' } }, none);
  assert.deepEqual([created.source, created.createSource, created.propagation, created.mode], ['/x', true, 'rslave', '']);
  const ok = parseMountSpec({ Type: 'bind', Source: '/x', Target: '/y', ReadOnly: true, BindOptions: { NonRecursive: true } }, () => true);
  assert.deepEqual(bindOptions(ok), ['bind', 'ro', 'rprivate']);
  const cases: [Mount, string][] = [
    [{ Type: 'bind', Target: '/y' }, 'invalid mount config for type "bind": field Source must not be empty'],
    [{ Type: 'bind', Source: '/x', Target: '' }, 'invalid mount config for type "bind": field Target must not be empty'],
    [{ Type: 'bind', Source: 'rel', Target: '/y' }, `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
    [{ Type: 'bind', Source: '/x', Target: '/y', BindOptions: { Propagation: 'weird' } }, 'invalid mount config for type "bind": invalid propagation mode: weird'],
    [{ Type: 'volume', Target: '/y', ReadOnly: true }, 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes'],
    [{ Type: 'volume', Target: '/y', VolumeOptions: { Subpath: 'a' } }, 'invalid mount config for type "volume": must not set Subpath when using anonymous volumes'],
    [{ Type: 'volume', Source: 'v', Target: '/y', VolumeOptions: { Subpath: '../a' } }, 'invalid mount config for type "volume": subpath must be a relative path within the volume'],
    [{ Type: 'tmpfs', Source: 'x', Target: '/y' }, 'invalid mount config for type "tmpfs": field Source must not be specified'],
    [{ Type: 'tmpfs', Target: '/y', TmpfsOptions: { Options: [['uid', '0']] } }, 'invalid mount config for type "tmpfs": invalid option: uid'],
    [{ Type: 'npipe', Source: 'x', Target: '/y' }, 'invalid mount config for type "npipe": mount type unknown'],
  ];
  for (const [m, msg] of cases) assert.throws(() => parseMountSpec(m, () => true), invalid(msg), msg);
});

test('--mount volume and tmpfs', () => {
  const v = parseMountSpec({ Type: 'volume', Source: 'cache', Target: '/c', VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs' } } } });
  assert.deepEqual([v.name, v.copyData, v.volumeLabels, v.driverOpts, v.driver], ['cache', false, { a: 'b' }, { type: 'tmpfs', device: 'tmpfs' }, 'local']);
  const t = parseMountSpec({ Type: 'tmpfs', Target: '/run', ReadOnly: true, TmpfsOptions: { SizeBytes: 64 * 2 ** 20, Mode: 0o1777, Options: [['noexec']] } });
  assert.equal(t.tmpfsData, 'ro,mode=1777,size=64m,noexec');
  assert.equal(tmpfsData({ SizeBytes: 1000 }, false), 'size=1000');
  assert.equal(tmpfsData({ SizeBytes: 3 * 2 ** 30 }, false), 'size=3g');
});

test('volumes-from specs', () => {
  assert.deepEqual(parseVolumesFrom('web'), { container: 'web', mode: 'rw' });
  assert.deepEqual(parseVolumesFrom('web:ro'), { container: 'web', mode: 'ro' });
  assert.throws(() => parseVolumesFrom(''), invalid('volumes-from specification cannot be an empty string'));
  assert.throws(() => parseVolumesFrom('web:rshared'), invalid('invalid mode: rshared'));
  assert.throws(() => parseVolumesFrom('web:nocopy'), invalid('invalid mode: nocopy'));
});

test('planMounts: precedence, duplicates, image volumes, tmpfs', () => {
  const fromWeb: MountPlan[] = [
    { ...parseBind('shared:/shared'), name: 'shared', source: '/vols/shared/_data', driver: 'local', mode: 'z' },
    { ...parseBind('/etc/web:/conf') },
  ];
  const plans = planMounts({
    volumesFrom: [{ spec: 'web:ro', mounts: fromWeb }],
    binds: ['/host/conf:/conf', 'data:/data'],
    mounts: [{ Type: 'tmpfs', Target: '/scratch' }],
    tmpfs: { '/run': 'size=1m' },
    imageVolumes: ['/data', '/var/log/', '/run', '/shared'],
    exists: () => true,
  });
  const byDest = new Map(plans.map((p) => [p.destination, p]));
  assert.deepEqual([...byDest.keys()].sort(), ['/conf', '/data', '/run', '/scratch', '/shared', '/var/log']);
  const shared = byDest.get('/shared') as MountPlan;
  assert.deepEqual([shared.origin, shared.name, shared.rw, shared.mode, shared.copyData], ['volumes-from', 'shared', false, '', false]);
  assert.deepEqual([byDest.get('/conf')?.origin, byDest.get('/conf')?.source], ['bind', '/host/conf'], 'a bind wins over volumes-from');
  assert.equal(byDest.get('/data')?.name, 'data', 'the image volume under a bind is skipped');
  const log = byDest.get('/var/log') as MountPlan;
  assert.deepEqual([log.origin, log.type, log.name, log.anonymous, log.copyData], ['image', 'volume', '', true, true]);
  assert.equal(byDest.get('/run')?.origin, 'tmpfs', 'no anonymous volume under a --tmpfs');
  assert.throws(() => planMounts({ binds: ['/a:/data', 'v:/data/'] }), invalid('Duplicate mount point: /data'));
  assert.throws(() => planMounts({ binds: ['/a:/data'], mounts: [{ Type: 'volume', Target: '/data' }] }), invalid('Duplicate mount point: /data'));
  assert.throws(() => planMounts({ tmpfs: { run: '' } }), invalid(`invalid mount path: 'run' mount path must be absolute`));
  assert.throws(() => planMounts({ tmpfs: { '/': '' } }), invalid(`invalid specification: destination can't be '/'`));
  assert.throws(() => planMounts({ imageVolumes: ['rel'] }), invalid(`invalid mount path: 'rel' mount path must be absolute`));
  assert.throws(() => planMounts({ imageVolumes: ['/'] }), invalid(`invalid specification: destination can't be '/'`));
});

test('inspect view and spec mounts', () => {
  const plans = planMounts({ binds: ['/h:/b:ro', '/h2:/b/inner', 'v:/v'], tmpfs: { '/v': '' }, mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024 } }] });
  const attached = plans.map((p) => (p.type === 'volume' ? { ...p, source: '/vols/v/_data', driver: 'local', mode: 'z' } : p));
  assert.deepEqual(inspectMounts(attached), [
    { Type: 'bind', Source: '/h', Destination: '/b', Mode: 'ro', RW: false, Propagation: 'rprivate' },
    { Type: 'bind', Source: '/h2', Destination: '/b/inner', Mode: '', RW: true, Propagation: 'rprivate' },
    { Type: 'volume', Name: 'v', Source: '/vols/v/_data', Destination: '/v', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
    { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
  ]);
  const spec = specMounts(attached, new Map([['/b/inner', '/resolved/h2']]));
  assert.deepEqual(spec.tmpfs, { '/v': '', '/t': 'size=1k' });
  // the volume on /v is hidden by the --tmpfs there; parents before children
  assert.deepEqual(spec.binds, [
    { source: '/h', destination: '/b', options: ['rbind', 'ro', 'rprivate'] },
    { source: '/resolved/h2', destination: '/b/inner', options: ['rbind', 'rprivate'] },
  ]);
});

test('propagation: shared/slave binds need a shared (or slave) source mount; the rootfs follows', () => {
  const info = [
    '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
    '40 27 0:50 / /srv/shared rw,relatime shared:12 - tmpfs tmpfs rw',
    '41 27 0:51 / /srv/slave rw,relatime master:12 - tmpfs tmpfs rw',
    '42 40 0:52 / /srv/shared/inner\\040dir rw,relatime - tmpfs tmpfs rw',
  ].join('\n');
  const bind = (source: string, prop: string) => ({ source, destination: '/x', options: ['rbind', prop] });
  assert.deepEqual(propagationPlan([bind('/srv/shared/a', 'rprivate')], info), {});
  assert.deepEqual(propagationPlan([bind('/srv/shared/a', 'rshared')], info), { rootfsPropagation: 'rshared' });
  assert.deepEqual(propagationPlan([bind('/srv/slave/a', 'rslave')], info), { rootfsPropagation: 'rslave' });
  assert.deepEqual(propagationPlan([bind('/srv/shared', 'slave'), bind('/srv/shared/b', 'shared')], info), { rootfsPropagation: 'rshared' });
  assert.throws(() => propagationPlan([bind('/srv/slave/a', 'rshared')], info), /path \/srv\/slave\/a is mounted on \/srv\/slave but it is not a shared mount/);
  assert.throws(() => propagationPlan([bind('/home/a', 'rslave')], info), /path \/home\/a is mounted on \/ but it is not a shared or slave mount/);
  // the innermost mount decides (octal escapes in mount points are decoded)
  assert.throws(() => propagationPlan([bind('/srv/shared/inner dir/f', 'rslave')], info), /mounted on \/srv\/shared\/inner dir but/);
});

test('asksSharedPropagation: shared and rshared binds, in Binds or Mounts; nothing else', () => {
  assert.equal(asksSharedPropagation({ Binds: ['/src:/dst:rw,rshared'] }), true);
  assert.equal(asksSharedPropagation({ Binds: ['/src:/dst:shared'] }), true);
  assert.equal(asksSharedPropagation({ Binds: ['/src:/dst:rslave', 'vol:/v', '/x:/y:ro'] }), false);
  assert.equal(asksSharedPropagation({ Binds: ['::bad::'] }), false);
  assert.equal(asksSharedPropagation({ Mounts: [{ Type: 'bind', Source: '/s', Target: '/t', BindOptions: { Propagation: 'rshared' } }] }), true);
  assert.equal(asksSharedPropagation({ Mounts: [{ Type: 'volume', Source: 'v', Target: '/t' }, null] }), false);
  assert.equal(asksSharedPropagation({}), false);
});
