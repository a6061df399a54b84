import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setAttribute } from '@napi-rs/xattr';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initNoise, upperChanges } from './changes.js';

const root = process.getuid?.() === 0;

test('upperChanges: added, modified, deleted (whiteouts, opaque dirs), parents once, init-layer paths left out', { skip: !root && 'needs root (mknod, trusted xattrs)' }, async (t) => {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-changes-'));
  t.after(() => fsp.rm(base, { recursive: true, force: true }));
  const lower = path.join(base, 'lower');
  const upper = path.join(base, 'upper');
  for (const d of ['etc', 'bin', 'home/u', 'var/lib']) await fsp.mkdir(path.join(lower, d), { recursive: true });
  for (const f of ['etc/passwd', 'bin/cat', 'home/u/x']) await fsp.writeFile(path.join(lower, f), 'x');
  const time = new Date('2020-01-01T00:00:00Z');
  for (const d of ['etc', 'bin', 'home', 'home/u', 'var', 'var/lib']) await fsp.utimes(path.join(lower, d), time, time);
  await fsp.mkdir(upper);
  // /etc copied up with a new file; /etc/hosts and /proc are runc's mount points; /bin/cat whited out
  for (const d of ['etc', 'bin', 'home', 'proc', 'dev', 'var/lib']) await fsp.mkdir(path.join(upper, d), { recursive: true });
  await fsp.writeFile(path.join(upper, 'etc/passwd'), 'changed');
  await fsp.writeFile(path.join(upper, 'etc/hosts'), '');
  await fsp.writeFile(path.join(upper, 'new'), 'n');
  execFileSync('mknod', [path.join(upper, 'bin/cat'), 'c', '0', '0']);
  await fsp.mkdir(path.join(upper, 'home/u'));
  await setAttribute(path.join(upper, 'home/u'), 'trusted.overlay.opaque', 'y');
  await fsp.mkdir(path.join(upper, 'dev/pts'));
  // /var and /var/lib are unchanged copies (same mtime, mode, size)
  for (const d of ['var', 'var/lib']) {
    await fsp.chmod(path.join(upper, d), (await fsp.stat(path.join(lower, d))).mode & 0o7777);
    await fsp.utimes(path.join(upper, d), time, time);
  }
  for (const d of ['etc', 'bin', 'home']) await fsp.utimes(path.join(upper, d), time, time);
  assert.deepEqual([...(await initNoise(upper))].sort(), ['/dev', '/dev/pts', '/etc/hosts', '/proc']);
  assert.deepEqual(await upperChanges(upper, [lower]), [
    { Path: '/bin', Kind: 0 },
    { Path: '/bin/cat', Kind: 2 },
    { Path: '/etc/passwd', Kind: 0 },
    { Path: '/home', Kind: 0 },
    { Path: '/home/u', Kind: 2 },
    { Path: '/new', Kind: 1 },
  ]);
});

test('initNoise: what is under an init path, parents holding only noise, never through a symlink', { skip: !root && 'needs root' }, async (t) => {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-noise-'));
  t.after(() => fsp.rm(base, { recursive: true, force: true }));
  const upper = path.join(base, 'upper');
  const outside = path.join(base, 'outside');
  await fsp.mkdir(path.join(outside, 'pts'), { recursive: true });
  await fsp.mkdir(path.join(upper, 'proc/a/b'), { recursive: true });
  await fsp.writeFile(path.join(upper, 'proc/a/b/c'), '');
  await fsp.mkdir(path.join(upper, 'etc'));
  await fsp.writeFile(path.join(upper, 'etc/hostname'), '');
  await fsp.writeFile(path.join(upper, 'etc/resolv.conf'), '');
  // /dev is a symlink in this upper: /dev/pts behind it is not the upper's
  await fsp.symlink(outside, path.join(upper, 'dev'));
  for (let i = 0; i < 50; i++) await fsp.writeFile(path.join(upper, `f${i}`), '');
  assert.deepEqual([...(await initNoise(upper))].sort(), ['/etc', '/etc/hostname', '/etc/resolv.conf', '/proc', '/proc/a', '/proc/a/b', '/proc/a/b/c']);
  await fsp.writeFile(path.join(upper, 'etc/passwd'), 'x');
  assert.deepEqual([...(await initNoise(upper))].sort(), ['/etc/hostname', '/etc/resolv.conf', '/proc', '/proc/a', '/proc/a/b', '/proc/a/b/c']);
});
