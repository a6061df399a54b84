/**
 * Copy-up: the first time an empty volume is mounted over a directory of the image, Docker copies that
 * directory's content into the volume (unless `nocopy`), and the volume's root takes the directory's
 * owner and mode. Files keep their modes, owners, times, xattrs and hard links; symlinks are copied as
 * links and never followed; fifos and devices are recreated; sockets are skipped.
 *
 * Paths inside a container's rootfs are resolved with resolveInRoot, which keeps symlinks (absolute or
 * `..`) from leading outside the rootfs.
 */
import { mknod as makeNode, splitDevice } from '../host/index.js';
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { getAttribute, listAttributes, setAttribute } from '../core/xattr.js';
import { errnoCode, internal } from '../core/errors.js';

const MAX_LINKS = 255;

/**
 * The host path of `ctrPath` inside `root`, following symlinks as if `root` were "/" (moby's
 * FollowSymlinkInScope): the result is always `root` or below it. Missing components are kept as given.
 */
export async function resolveInRoot(root: string, ctrPath: string): Promise<string> {
  const base = path.resolve(root);
  let parts = path.posix.normalize(`/${ctrPath}`).split('/').filter((p) => p !== '');
  const done: string[] = [];
  let links = 0;
  while (parts.length > 0) {
    const part = parts.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const cur = path.join(base, ...done, part);
    let st: Stats;
    try {
      st = await fsp.lstat(cur);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') {
        done.push(part, ...parts);
        parts = [];
        break;
      }
      throw e;
    }
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw internal(`too many levels of symbolic links resolving ${ctrPath} in ${root}`);
    const target = await fsp.readlink(cur);
    if (path.posix.isAbsolute(target)) done.length = 0;
    parts = [...target.split('/').filter((p) => p !== ''), ...parts];
  }
  return path.join(base, ...done.filter((p) => p !== '..'));
}

async function isEmptyDir(dir: string): Promise<boolean> {
  const d = await fsp.opendir(dir);
  try {
    return (await d.read()) === null;
  } finally {
    await d.close().catch(() => undefined);
  }
}

async function mknod(file: string, kind: 'p' | 'c' | 'b', rdev: number): Promise<void> {
  const { major, minor } = splitDevice(rdev);
  await makeNode(file, kind === 'p' ? 'fifo' : kind === 'c' ? 'character-device' : 'block-device', major, minor)
    .catch((err: Error) => { throw internal(`mknod ${file}: ${err.message}`, err); });
}

async function copyXattrs(src: string, dst: string): Promise<void> {
  let names: string[];
  try {
    names = await listAttributes(src);
  } catch {
    return; // file system without xattrs
  }
  for (const name of names) {
    const v = await getAttribute(src, name).catch(() => null);
    if (v === null) continue;
    // security.* / trusted.* may be refused (no privilege, or no such namespace on the target)
    await setAttribute(dst, name, v).catch(() => undefined);
  }
}

async function copyMeta(src: string, dst: string, st: Stats, link: boolean): Promise<void> {
  await fsp.lchown(dst, st.uid, st.gid).catch((e: unknown) => {
    if (errnoCode(e) !== 'EPERM') throw e;
  });
  if (!link) {
    await copyXattrs(src, dst);
    // after chown: chown clears setuid/setgid bits
    await fsp.chmod(dst, st.mode & 0o7777);
  }
  await fsp.lutimes(dst, st.atime, st.mtime);
}

interface CopyState {
  /** dev:ino of multiply-linked files already copied -> their copy */
  links: Map<string, string>;
}

async function copyEntry(src: string, dst: string, st: Stats, state: CopyState): Promise<void> {
  if (st.isDirectory()) {
    await fsp.mkdir(dst, { mode: 0o700 }).catch((e: unknown) => {
      if (errnoCode(e) !== 'EEXIST') throw e;
    });
    for (const name of await fsp.readdir(src)) {
      const s = path.join(src, name);
      await copyEntry(s, path.join(dst, name), await fsp.lstat(s), state);
    }
    await copyMeta(src, dst, st, false);
    return;
  }
  if (st.nlink > 1 && !st.isSymbolicLink()) {
    const key = `${st.dev}:${st.ino}`;
    const first = state.links.get(key);
    if (first) {
      await fsp.link(first, dst);
      return;
    }
    state.links.set(key, dst);
  }
  if (st.isSymbolicLink()) {
    await fsp.symlink(await fsp.readlink(src), dst);
    await copyMeta(src, dst, st, true);
    return;
  }
  if (st.isFile()) await fsp.copyFile(src, dst);
  else if (st.isFIFO()) await mknod(dst, 'p', 0);
  else if (st.isCharacterDevice()) await mknod(dst, 'c', st.rdev);
  else if (st.isBlockDevice()) await mknod(dst, 'b', st.rdev);
  else return; // sockets
  await copyMeta(src, dst, st, false);
}

/**
 * Copies the content of `imageDir` (a directory of a container's rootfs, already resolved with
 * resolveInRoot) into `volumeDir` when the volume is empty, and gives the volume's root the owner and
 * mode of `imageDir`. Returns false (and copies nothing) when `imageDir` is missing or no directory,
 * or the volume is not empty.
 */
export async function copyUp(imageDir: string, volumeDir: string): Promise<boolean> {
  let st: Stats;
  try {
    st = await fsp.lstat(imageDir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return false;
    throw e;
  }
  if (!st.isDirectory()) return false;
  if (!(await isEmptyDir(volumeDir))) return false;
  const state: CopyState = { links: new Map() };
  for (const name of await fsp.readdir(imageDir)) {
    const s = path.join(imageDir, name);
    await copyEntry(s, path.join(volumeDir, name), await fsp.lstat(s), state);
  }
  // copyOwnership: the volume's root as the image's directory
  await fsp.chown(volumeDir, st.uid, st.gid);
  await fsp.chmod(volumeDir, st.mode & 0o7777);
  return true;
}

/** Bytes used under `dir` (files counted once per inode, symlinks not followed): moby's directory.Size. */
export async function dirSize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (p: string): Promise<void> => {
    let names: string[];
    try {
      names = await fsp.readdir(p);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return;
      throw e;
    }
    for (const n of names) {
      const f = path.join(p, n);
      let st: Stats;
      try {
        st = await fsp.lstat(f);
      } catch (e) {
        if (errnoCode(e) === 'ENOENT') continue;
        throw e;
      }
      if (st.isDirectory()) {
        await walk(f);
        continue;
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}
