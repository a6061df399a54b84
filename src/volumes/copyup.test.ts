import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getAttribute, setAttribute } from '@napi-rs/xattr';
import { copyUp, dirSize, resolveInRoot } from './copyup.js';

const isRoot = process.getuid?.() === 0;

function temp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-copyup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('resolveInRoot keeps symlinks inside the root', async (t) => {
  const root = path.join(temp(t), 'rootfs');
  await fsp.mkdir(path.join(root, 'real/dir'), { recursive: true });
  await fsp.symlink('/real', path.join(root, 'abs'));
  await fsp.symlink('../../../../etc', path.join(root, 'real/up'));
  await fsp.symlink('dir', path.join(root, 'real/rel'));
  await fsp.symlink('/etc/passwd', path.join(root, 'passwd'));
  await fsp.symlink('loop', path.join(root, 'loop'));
  assert.equal(await resolveInRoot(root, '/abs/dir'), path.join(root, 'real/dir'));
  assert.equal(await resolveInRoot(root, '/real/rel/'), path.join(root, 'real/dir'));
  assert.equal(await resolveInRoot(root, '/real/up'), path.join(root, 'etc'));
  assert.equal(await resolveInRoot(root, '/passwd'), path.join(root, 'etc/passwd'));
  assert.equal(await resolveInRoot(root, '/../../x/./y'), path.join(root, 'x/y'));
  assert.equal(await resolveInRoot(root, '/abs/missing/deeper'), path.join(root, 'real/missing/deeper'));
  await assert.rejects(resolveInRoot(root, '/loop'), /too many levels of symbolic links/);
});

test('copyUp copies nested dirs, modes, symlinks (not followed), hard links, fifos, times, xattrs', async (t) => {
  const dir = temp(t);
  const src = path.join(dir, 'image/var/lib/app');
  const vol = path.join(dir, 'vol');
  const outside = path.join(dir, 'outside');
  await fsp.mkdir(path.join(src, 'a/b/c'), { recursive: true });
  await fsp.mkdir(vol);
  await fsp.mkdir(outside);
  await fsp.writeFile(path.join(outside, 'secret'), 'secret');
  await fsp.writeFile(path.join(src, 'a/b/c/deep.txt'), 'deep');
  await fsp.writeFile(path.join(src, 'run.sh'), '#!/bin/sh\n');
  await fsp.chmod(path.join(src, 'run.sh'), 0o4755);
  await fsp.chmod(path.join(src, 'a/b'), 0o700);
  await fsp.link(path.join(src, 'run.sh'), path.join(src, 'a/hardlink'));
  await fsp.symlink('b/c/deep.txt', path.join(src, 'a/rel-link'));
  await fsp.symlink(outside, path.join(src, 'escape')); // must be copied as a link, not followed
  await fsp.symlink('/nonexistent/target', path.join(src, 'dangling'));
  await fsp.chmod(src, 0o1770);
  const old = new Date('2020-02-02T02:02:02Z');
  await fsp.utimes(path.join(src, 'a/b/c/deep.txt'), old, old);
  await fsp.lutimes(path.join(src, 'a/rel-link'), old, old);
  const fifo = path.join(src, 'pipe');
  await new Promise<void>((resolve, reject) => import('node:child_process').then(({ execFile }) => execFile('mkfifo', [fifo], (e) => (e ? reject(e) : resolve()))));
  await setAttribute(path.join(src, 'run.sh'), 'user.berth', 'xattr-value');
  if (isRoot) {
    await fsp.chown(path.join(src, 'a/b/c/deep.txt'), 1234, 5678);
    await fsp.lchown(path.join(src, 'a/rel-link'), 4321, 8765);
    await fsp.chown(src, 1000, 1000);
  }

  assert.equal(await copyUp(src, vol), true);

  assert.equal(await fsp.readFile(path.join(vol, 'a/b/c/deep.txt'), 'utf8'), 'deep');
  assert.equal((await fsp.stat(path.join(vol, 'run.sh'))).mode & 0o7777, 0o4755);
  assert.equal((await fsp.stat(path.join(vol, 'a/b'))).mode & 0o7777, 0o700);
  assert.equal((await fsp.stat(vol)).mode & 0o7777, 0o1770, 'the volume root takes the image directory\'s mode');
  const [h1, h2] = await Promise.all([fsp.stat(path.join(vol, 'run.sh')), fsp.stat(path.join(vol, 'a/hardlink'))]);
  assert.equal(h1.ino, h2.ino, 'hard links stay hard links');
  assert.equal(await fsp.readlink(path.join(vol, 'a/rel-link')), 'b/c/deep.txt');
  assert.equal(await fsp.readlink(path.join(vol, 'escape')), outside);
  assert.ok((await fsp.lstat(path.join(vol, 'escape'))).isSymbolicLink());
  assert.equal(await fsp.readlink(path.join(vol, 'dangling')), '/nonexistent/target');
  assert.ok((await fsp.lstat(path.join(vol, 'pipe'))).isFIFO());
  assert.equal((await fsp.stat(path.join(vol, 'a/b/c/deep.txt'))).mtime.toISOString(), old.toISOString());
  assert.equal((await fsp.lstat(path.join(vol, 'a/rel-link'))).mtime.toISOString(), old.toISOString());
  assert.equal((await getAttribute(path.join(vol, 'run.sh'), 'user.berth'))?.toString(), 'xattr-value');
  assert.deepEqual(await fsp.readdir(outside), ['secret'], 'nothing written through the link');
  if (isRoot) {
    const deep = await fsp.stat(path.join(vol, 'a/b/c/deep.txt'));
    assert.deepEqual([deep.uid, deep.gid], [1234, 5678]);
    const link = await fsp.lstat(path.join(vol, 'a/rel-link'));
    assert.deepEqual([link.uid, link.gid], [4321, 8765]);
    const root = await fsp.stat(vol);
    assert.deepEqual([root.uid, root.gid], [1000, 1000]);
  }
});

test('copyUp leaves a non-empty volume alone and skips a missing directory', async (t) => {
  const dir = temp(t);
  const src = path.join(dir, 'src');
  const vol = path.join(dir, 'vol');
  await fsp.mkdir(src);
  await fsp.mkdir(vol);
  await fsp.writeFile(path.join(src, 'new'), 'new');
  await fsp.writeFile(path.join(vol, 'existing'), 'mine');
  assert.equal(await copyUp(src, vol), false);
  assert.deepEqual(await fsp.readdir(vol), ['existing']);
  assert.equal(await copyUp(path.join(dir, 'missing'), vol), false);
  await fsp.writeFile(path.join(dir, 'file'), 'x');
  assert.equal(await copyUp(path.join(dir, 'file'), path.join(dir, 'src')), false, 'no directory: nothing to copy');
});

test('dirSize counts files once per inode, and not through symlinks', async (t) => {
  const dir = temp(t);
  await fsp.mkdir(path.join(dir, 'd/e'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'd/e/f'), Buffer.alloc(1000));
  await fsp.writeFile(path.join(dir, 'g'), Buffer.alloc(234));
  await fsp.link(path.join(dir, 'g'), path.join(dir, 'd/g2'));
  await fsp.symlink('/usr', path.join(dir, 'usr'));
  const linkSize = (await fsp.lstat(path.join(dir, 'usr'))).size;
  assert.equal(await dirSize(dir), 1234 + linkSize);
  assert.equal(await dirSize(path.join(dir, 'missing')), 0);
});
