/**
 * The directories a COPY with --chown creates, for the paths that write through a tar (the archive API:
 * under userns-remap, and for ADD of an archive): the names of the plan's `ownNew` the container lacks,
 * as directory items owned by the copy's owner (0755), shallow first, to go before the items. The tar's
 * extraction makes every other missing parent root's, and an existing directory is not in the tar at all,
 * so it keeps its owner and mode, as in Docker 20.10's builder.
 */
import path from 'node:path';
import type { CopyItem, Owner } from './copy.js';

export async function ownedNewDirs(items: readonly CopyItem[], ownNew: ReadonlySet<string>, owner: Owner, exists: (ctrPath: string) => Promise<boolean>): Promise<CopyItem[]> {
  if (ownNew.size === 0 || (owner.uid === 0 && owner.gid === 0)) return [];
  const clean = (n: string) => path.posix.normalize(`/${n}`).slice(1).replace(/\/+$/, '');
  // a directory item says itself what it is (the destination of a directory source)
  const listed = new Set(items.filter((it) => it.kind === 'dir').map((it) => clean(it.name)));
  const names = [...ownNew].map(clean).filter((n) => n !== '' && !listed.has(n));
  names.sort((a, b) => a.split('/').length - b.split('/').length || (a < b ? -1 : a > b ? 1 : 0));
  const missing = new Set<string>();
  const now = new Date();
  const out: CopyItem[] = [];
  for (const n of new Set(names)) {
    // below a directory found missing, everything is
    if (!missing.has(path.posix.dirname(n)) && (await exists(`/${n}`))) continue;
    missing.add(n);
    out.push({ kind: 'dir', name: n, mode: 0o755, mtime: now, rootOwned: true, owner });
  }
  return out;
}
