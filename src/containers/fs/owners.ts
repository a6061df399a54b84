/**
 * The owners a container's archives carry under userns-remap (dockerd's IdentityMapping as pkg/archive
 * applies it): ids in a tar are the container's, ids on disk are the host's.
 *
 *   into the container (PUT archive)   tar id -> host id; one outside the maps is Docker's
 *                                      "Container ID n cannot be mapped to a host ID"
 *   out of it (export, commit)         host id -> container id; one outside the maps is Docker's
 *                                      "Host ID n cannot be mapped to a container ID" (moby's tarAppender)
 *   out of it (GET archive)            the same, but an id outside the maps is the kernel's overflow id:
 *                                      the owner the container itself sees (`stat` inside shows 65534),
 *                                      so a bind mount of host files can still be copied out
 *
 * An overlay whiteout (a 0/0 character device the kernel makes with the mounter's ids) is shifted when it
 * can be and otherwise keeps its host ids, as moby's tarAppender leaves whiteouts alone: its owner means
 * nothing, and it must never fail a commit. Without maps every id is kept. Pure.
 */
import type { Stats } from 'node:fs';
import { rootPair, toContainer, toHost, type IdentityMapping, type IdMap } from '../../core/idmap.js';
import { isWhiteout } from './changes.js';

export interface Owner {
  uid: number;
  gid: number;
}

/** What an id outside the maps becomes in an archive: Docker's error, or the kernel's overflow id. */
export type Unmapped = 'error' | 'overflow';

/** The kernel's default overflowuid/overflowgid: what an unmapped id looks like inside a user namespace. */
export const OVERFLOW_ID = 65534;

/** The host owner of an entry extracted with tar (or copyUIDGID) owner `o`. */
export function hostOwner(o: Owner, m: IdentityMapping | undefined): Owner {
  if (!m) return { uid: o.uid, gid: o.gid };
  return { uid: toHost(o.uid, m.uids), gid: toHost(o.gid, m.gids) };
}

/** The host owner of what an extraction makes on its own (missing parents): the container's root. */
export function rootOwner(m: IdentityMapping | undefined): Owner {
  return m ? rootPair(m) : { uid: 0, gid: 0 };
}

function containerId(id: number, maps: readonly IdMap[], fallback: 'error' | 'overflow' | 'keep'): number {
  if (fallback === 'error') return toContainer(id, maps);
  try {
    return toContainer(id, maps);
  } catch {
    return fallback === 'overflow' ? OVERFLOW_ID : id;
  }
}

/** The owner an archive header carries for a file with this lstat. */
export function archiveOwner(st: Pick<Stats, 'uid' | 'gid' | 'rdev' | 'isCharacterDevice'>, m: IdentityMapping | undefined, unmapped: Unmapped): Owner {
  if (!m) return { uid: st.uid, gid: st.gid };
  const fallback = isWhiteout(st) ? 'keep' : unmapped;
  return { uid: containerId(st.uid, m.uids, fallback), gid: containerId(st.gid, m.gids, fallback) };
}
