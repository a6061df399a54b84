/**
 * COPY's layer made straight from its items, without writing them into a container first and packing
 * the container's diff afterwards (which wrote every file twice: into the container, then into the
 * layer store). It gives the tar that diff would give: the items, the parent directories they were
 * written below (those the image has, with the image's owner and mode, as overlayfs copies them up;
 * the missing ones 0755, root's or the owner's as the plan's `ownNew` says, as the write path makes
 * them), and nothing else.
 *
 * Only when that is certain: every parent is a plain directory or missing in the image (no symlink to
 * resolve), and no item turns a directory of the image into a non-directory or the other way round
 * (that needs whiteouts). Otherwise, and for archives, `undefined`: the caller takes the container path.
 */
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { packItems, type CopyItem, type PackOptions } from './copy.js';

export async function directLayer(root: string, planned: CopyItem[], o: PackOptions): Promise<Readable | undefined> {
  if (planned.some((it) => it.kind === 'archive')) return undefined;
  // names as the layer has them (a plan may say `dir/` or `dir//file`)
  const items = planned.map((it) => ({ ...it, name: path.posix.normalize(`/${it.name}`).slice(1).replace(/\/+$/, '') }));
  const own = new Set(items.filter((it) => it.kind === 'dir').map((it) => it.name));
  const parents = new Set<string>();
  for (const it of items) {
    for (let p = path.posix.dirname(it.name); p !== '.' && p !== '' && !parents.has(p); p = path.posix.dirname(p)) parents.add(p);
  }
  const stat = (rel: string) => fsp.lstat(path.join(root, rel)).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  const found = new Map<string, Stats | undefined>();
  const now = new Date();
  const dirs: CopyItem[] = [];
  // shallow first: below a missing directory everything is missing
  for (const p of [...parents].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))) {
    const up = path.posix.dirname(p);
    const st = up !== '.' && found.has(up) && found.get(up) === undefined ? undefined : await stat(p);
    if (st && !st.isDirectory()) return undefined;
    found.set(p, st);
    if (own.has(p)) continue; // an item of its own says what it is
    const owner = st ? { uid: st.uid, gid: st.gid } : o.ownNew?.has(p) ? o.owner : undefined;
    dirs.push({ kind: 'dir', name: p, mode: st ? st.mode & 0o7777 : 0o755, mtime: now, rootOwned: true, owner });
  }
  const checks = await Promise.all(items.map(async (it) => {
    const up = path.posix.dirname(it.name);
    if (up !== '.' && found.get(up) === undefined) return true;
    const st = await stat(it.name);
    return !st || (it.kind === 'dir') === st.isDirectory();
  }));
  if (checks.includes(false)) return undefined;
  return packItems([...dirs, ...items], o);
}
