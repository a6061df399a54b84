import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isKind } from '../../core/errors.js';
import { devicesFromPath, hostDevices, normalizeDeviceMapping, parseDeviceCgroupRule, resolveDevices, splitDev, validDeviceMode } from './devices.js';

const invalid = (re: RegExp) => (err: unknown) => isKind(err, 'InvalidArgument') && re.test((err as Error).message);

test('device cgroup rules: Docker\'s format, wildcards leave major/minor out', () => {
  assert.deepEqual(parseDeviceCgroupRule('c 10:229 rwm'), { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' });
  assert.deepEqual(parseDeviceCgroupRule('b 7:* rw'), { allow: true, type: 'b', major: 7, access: 'rw' });
  assert.deepEqual(parseDeviceCgroupRule('a *:* m'), { allow: true, type: 'a', access: 'm' });
  for (const bad of ['x 1:2 r', 'c 1:2', 'c 1 r', 'c 1:2 rwx', 'c 1:2 rwmr', ' c 1:2 r', 'c a:2 r']) {
    assert.throws(() => parseDeviceCgroupRule(bad), invalid(new RegExp(`^invalid device cgroup rule format: '${bad.replace(/[*]/g, '\\*')}'$`)), bad);
  }
});

test('device modes and mapping defaults', () => {
  for (const ok of ['r', 'w', 'm', 'rw', 'mrw', 'rwm']) assert.ok(validDeviceMode(ok), ok);
  for (const bad of ['', 'rr', 'x', 'rwmx', 'rwmr']) assert.ok(!validDeviceMode(bad), bad);
  assert.deepEqual(normalizeDeviceMapping({ PathOnHost: '/dev/fuse' }), { host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' });
  assert.deepEqual(normalizeDeviceMapping({ PathOnHost: '/dev/null', PathInContainer: '/dev//x/', CgroupPermissions: 'r' }), { host: '/dev/null', container: '/dev/x', permissions: 'r' });
  assert.throws(() => normalizeDeviceMapping({ PathOnHost: '/dev/null', CgroupPermissions: 'rwx' }), invalid(/^bad mode specified: rwx$/));
  assert.throws(() => normalizeDeviceMapping({ PathOnHost: '/dev/null', PathInContainer: 'rel' }), invalid(/^rel is not an absolute path$/));
  assert.throws(() => normalizeDeviceMapping({}), invalid(/PathOnHost/));
});

test('splitDev is glibc\'s major()/minor()', () => {
  assert.deepEqual(splitDev((1 << 8) | 3), { major: 1, minor: 3 });
  assert.deepEqual(splitDev((10 << 8) | 229), { major: 10, minor: 229 });
  // major 4097 and minor 300 use the high bits of both halves
  const dev = (4096n << 32n) | (1n << 8n) | 44n | (256n << 12n);
  assert.deepEqual(splitDev(Number(dev)), { major: 4097, minor: 300 });
});

test('a host device node, through a symlink too, with its permissions', () => {
  const r = devicesFromPath('/dev/null', '/dev/mynull', 'r');
  assert.equal(r.devices.length, 1);
  assert.deepEqual({ ...r.devices[0], fileMode: undefined, uid: undefined, gid: undefined }, { type: 'c', path: '/dev/mynull', major: 1, minor: 3, fileMode: undefined, uid: undefined, gid: undefined });
  assert.equal(r.devices[0]!.fileMode, 0o666);
  assert.deepEqual(r.rules, [{ allow: true, type: 'c', major: 1, minor: 3, access: 'r' }]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-dev-'));
  try {
    symlinkSync('/dev/null', path.join(dir, 'link'));
    assert.deepEqual(devicesFromPath(path.join(dir, 'link'), '/dev/l', 'rwm').rules, [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }]);
    writeFileSync(path.join(dir, 'file'), '');
    assert.throws(() => devicesFromPath(path.join(dir, 'file'), '/dev/f', 'rwm'), invalid(/^error gathering device information while adding custom device ".*\/file": not a device node$/));
    assert.throws(() => devicesFromPath('/dev/berth-nonexistent', '/dev/x', 'rwm'), invalid(/^error gathering device information while adding custom device "\/dev\/berth-nonexistent": no such file or directory$/));
    // a directory without devices is not a device either
    mkdirSync(path.join(dir, 'empty'));
    assert.throws(() => devicesFromPath(path.join(dir, 'empty'), '/dev/e', 'rwm'), invalid(/not a device node/));
    assert.throws(() => resolveDevices([{ PathOnHost: '/dev/null' }], ['bogus']), invalid(/invalid device cgroup rule format/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a directory of devices maps every node below it; hostDevices skips pts, shm and the console', { skip: process.getuid?.() !== 0 && 'mknod needs root' }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-dev-'));
  try {
    mkdirSync(path.join(dir, 'snd'));
    mkdirSync(path.join(dir, 'pts'));
    execFileSync('mknod', ['-m', '0660', path.join(dir, 'snd', 'a'), 'c', '116', '2']);
    execFileSync('mknod', [path.join(dir, 'snd', 'b'), 'b', '7', '9']);
    execFileSync('mknod', [path.join(dir, 'pts', '0'), 'c', '136', '0']);
    execFileSync('mknod', [path.join(dir, 'console'), 'c', '5', '1']);
    execFileSync('mknod', [path.join(dir, 'fifo'), 'p']);
    const r = devicesFromPath(path.join(dir, 'snd'), '/dev/sound', 'rw');
    assert.deepEqual(r.devices.map((d) => [d.path, d.type, d.major, d.minor]), [['/dev/sound/a', 'c', 116, 2], ['/dev/sound/b', 'b', 7, 9]]);
    assert.equal(r.devices[0]!.fileMode, 0o660);
    assert.deepEqual(r.rules.map((x) => `${x.type} ${x.major}:${x.minor} ${x.access}`), ['c 116:2 rw', 'b 7:9 rw']);
    assert.deepEqual(hostDevices(dir).map((d) => d.path), ['/dev/snd/a', '/dev/snd/b']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
