import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mountArgs } from './mountd.js';
import { mount, mountPoints, unmount } from './mount.js';
import { parseMountInfo } from './mountinfo.js';
import { nativeHelper } from './native.js';

test('mount(8) options as mount(2) flags and data; what needs mount(8) stays with it', () => {
  assert.deepEqual(mountArgs('tmpfs', 'nosuid,nodev,noexec,mode=1777,size=65536k'), { flags: 2 | 4 | 8, data: 'mode=1777,size=65536k' });
  assert.deepEqual(mountArgs('overlay', 'lowerdir=a:b,upperdir=/u,workdir=/w'), { flags: 0, data: 'lowerdir=a:b,upperdir=/u,workdir=/w' });
  assert.deepEqual(mountArgs('tmpfs', 'ro,rw,noatime'), { flags: 1024, data: '' });
  assert.deepEqual(mountArgs('tmpfs', ''), { flags: 0, data: '' });
  for (const o of ['bind', 'rbind,ro', 'remount,ro', 'rprivate', 'x-gvfs-show']) assert.equal(mountArgs('tmpfs', o), undefined, o);
  assert.equal(mountArgs('ext4', 'ro'), undefined);
  assert.equal(mountArgs('none', 'bind'), undefined);
});

test('overlay and tmpfs mounts through berth-mountd are what mount(8) would make', { skip: process.getuid?.() !== 0 || !nativeHelper('berth-mountd') ? 'needs root and berth-mountd' : false }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-mountd-'));
  try {
    const t = path.join(dir, 't');
    await mkdir(t);
    await mount('shm', t, 'tmpfs', 'nosuid,nodev,noexec,mode=1777,size=1m');
    const m = parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8')).find((x) => x.mountPoint === t);
    assert.ok(m, 'tmpfs mounted');
    assert.match(JSON.stringify(m), /nosuid/);
    assert.match(JSON.stringify(m), /size=1024k/);
    // overlay with relative lowerdirs, resolved in the folder given
    for (const d of ['layers/l1', 'up', 'work', 'merged']) await mkdir(path.join(dir, d), { recursive: true });
    await writeFile(path.join(dir, 'layers/l1/f'), 'from the layer');
    const merged = path.join(dir, 'merged');
    await mount('overlay', merged, 'overlay', `lowerdir=l1,upperdir=${dir}/up,workdir=${dir}/work`, { cwd: path.join(dir, 'layers') });
    assert.equal(await readFile(path.join(merged, 'f'), 'utf8'), 'from the layer');
    await unmount(merged);
    await unmount(t, { lazy: true });
    const left = (await mountPoints()).filter((p) => p.startsWith(dir));
    assert.deepEqual(left, []);
    // the kernel's error comes back, with what was asked
    await assert.rejects(unmount(t), /umount .*t: Invalid argument/);
    await assert.rejects(mount('x', path.join(dir, 'missing'), 'tmpfs', ''), /mount tmpfs on .*missing: No such file or directory/);
  } finally {
    for (const p of (await mountPoints()).filter((x) => x.startsWith(dir)).reverse()) await unmount(p, { lazy: true }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});
