/**
 * COPY's fast path: the items written straight into a stopped step container's mounted root file
 * system (no tar in between). Every parent directory is resolved inside the root as the container would
 * see it (its symlinks lead where they lead inside it, never out: resolveInRoot); the last component is
 * never followed: an existing symlink or file there is replaced. Missing parents are made, root's, 0755.
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
  const hostDir = async (ctr: string): Promise<string> => {
    let h = dirs.get(ctr);
    if (h) return h;
    h = await resolveInRoot(root, ctr);
    await fsp.mkdir(h, { recursive: true, mode: 0o755 });
    dirs.set(ctr, h);
    return h;
  };
  const { uid, gid } = o.owner;
  for (const it of items) {
    if (it.kind === 'archive') throw new Error('archives go through the tar path');
    const ctr = `/${it.name}`;
    const parent = await hostDir(path.posix.dirname(ctr));
    const target = path.join(parent, path.posix.basename(ctr));
    const mode = it.kind === 'symlink' ? 0o777 : it.kind === 'dir' && it.rootOwned ? it.mode : (o.chmod ?? it.mode);
    switch (it.kind) {
      case 'dir': {
        const exists = await removeLeaf(target, true);
        if (!exists) await fsp.mkdir(target, { mode: 0o700 });
        await fsp.chown(target, it.rootOwned ? 0 : uid, it.rootOwned ? 0 : gid);
        await fsp.chmod(target, mode);
        dirs.set(ctr, target);
        dirTimes.push([target, it.mtime]);
        break;
      }
      case 'file':
      case 'data': {
        await removeLeaf(target, false);
        const fh = await fsp.open(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        try {
          if (it.kind === 'data') await fh.writeFile(it.data);
          else {
            const src = await fsp.open(it.host, C.O_RDONLY | C.O_NOFOLLOW);
            try {
              const buf = Buffer.allocUnsafe(1 << 16);
              for (let pos = 0; ;) {
                const { bytesRead } = await src.read(buf, 0, buf.length, pos);
                if (bytesRead === 0) break;
                await fh.write(buf, 0, bytesRead);
                pos += bytesRead;
              }
            } finally {
              await src.close();
            }
          }
          await fh.chown(uid, gid);
          await fh.chmod(mode);
          await fh.utimes(it.mtime, it.mtime);
        } finally {
          await fh.close();
        }
        break;
      }
      case 'symlink':
        await removeLeaf(target, false);
        await fsp.symlink(it.target, target);
        await fsp.lchown(target, uid, gid);
        await fsp.lutimes(target, it.mtime, it.mtime).catch(() => undefined);
        break;
    }
  }
  for (const [d, t] of dirTimes.reverse()) {
    await fsp.utimes(d, t, t).catch((e: unknown) => { if (errnoCode(e) !== 'ENOENT') throw e; });
  }
}
