/**
 * COPY's fast path: the items written straight into a stopped step container's mounted root file
 * system (no tar in between). Every parent directory is resolved inside the root as the container would
 * see it (its symlinks lead where they lead inside it, never out: resolveInRoot); the last component is
 * never followed: an existing symlink or file there is replaced. Missing parents are made 0755, root's
 * or, where the plan's `ownNew` says so, the items' owner's.
 * Nothing runs in the container meanwhile, so the paths cannot change under the writer.
 */
import { constants as C, promises as fsp } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../core/errors.js';
import { resolveInRoot } from '../volumes/copyup.js';
import type { CopyItem, PackOptions } from './copy.js';

async function removeLeaf(p: string, keepDir: boolean): Promise<boolean> {
  const st = await fsp.lstat(p).catch(() => undefined);
  if (!st) return false;
  if (st.isDirectory()) {
    if (keepDir) return true;
    await fsp.rm(p, { recursive: true, force: true });
    return false;
  }
  await fsp.unlink(p);
  return false;
}

export async function writeItems(root: string, items: CopyItem[], o: PackOptions): Promise<void> {
  const dirs = new Map<string, string>();
  const dirTimes: [string, Date][] = [];
  const { uid, gid } = o.owner;
  const hostDir = async (ctr: string): Promise<string> => {
    let h = dirs.get(ctr);
    if (h) return h;
    h = await resolveInRoot(root, ctr);
    const first = await fsp.mkdir(h, { recursive: true, mode: 0o755 });
    // the directories made here (the last components: resolveInRoot resolved the existing ones) that
    // the plan gives the owner
    if (first && o.ownNew?.size && (uid !== 0 || gid !== 0)) {
      const made = path.relative(path.dirname(first), h).split(path.sep).length;
      const names = ctr.replace(/^\/+/, '').split('/');
      for (let k = 0; k < made; k++) {
        const name = names.slice(0, names.length - k).join('/');
        if (o.ownNew.has(name)) await fsp.chown(path.join(h, ...Array<string>(k).fill('..')), uid, gid);
      }
    }
    dirs.set(ctr, h);
    return h;
  };
  // files and links go in batches, in parallel (each is a few system calls); directories in order, first
  const pending: Promise<void>[] = [];
  const flush = async () => {
    await Promise.all(pending);
    pending.length = 0;
  };
  for (const it of items) {
    if (it.kind === 'archive') throw new Error('archives go through the tar path');
    if (it.kind === 'dir') await flush();
    else {
      pending.push(one(it));
      if (pending.length >= 32) await flush();
      continue;
    }
    const ctr = `/${it.name}`;
    const parent = await hostDir(path.posix.dirname(ctr));
    const target = path.join(parent, path.posix.basename(ctr));
    const mode = it.rootOwned ? it.mode : (o.chmod ?? it.mode);
    const exists = await removeLeaf(target, true);
    if (!exists) await fsp.mkdir(target, { mode: 0o700 });
    await fsp.chown(target, it.rootOwned ? 0 : uid, it.rootOwned ? 0 : gid);
    await fsp.chmod(target, mode);
    dirs.set(ctr, target);
    dirTimes.push([target, it.mtime]);
  }
  await flush();
  async function one(it: Exclude<CopyItem, { kind: 'dir' | 'archive' }>): Promise<void> {
    const ctr = `/${it.name}`;
    const target = path.join(await hostDir(path.posix.dirname(ctr)), path.posix.basename(ctr));
    await removeLeaf(target, false);
    if (it.kind === 'symlink') {
      await fsp.symlink(it.target, target);
      await fsp.lchown(target, uid, gid);
      await fsp.lutimes(target, it.mtime, it.mtime).catch(() => undefined);
      return;
    }
    // a new regular file (the leaf was removed, nothing else writes here): path calls are safe
    if (it.kind === 'data') await fsp.writeFile(target, it.data, { flag: C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode: 0o600 });
    else await fsp.copyFile(it.host, target, C.COPYFILE_EXCL);
    // the daemon (root) made it root's, and copyFile gave it the source's mode: only what differs is set
    // (a chown clears set-id bits: the mode is set again after one)
    const chown = uid !== 0 || gid !== 0 || process.geteuid?.() !== 0;
    if (chown) await fsp.chown(target, uid, gid);
    if (chown || it.kind === 'data' || o.chmod !== undefined) await fsp.chmod(target, o.chmod ?? it.mode);
    await fsp.utimes(target, it.mtime, it.mtime);
  }
  for (const [d, t] of dirTimes.reverse()) {
    await fsp.utimes(d, t, t).catch((e: unknown) => { if (errnoCode(e) !== 'ENOENT') throw e; });
  }
}
