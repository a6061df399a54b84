/**
 * The I/O side of userns-remap: reading the account and subordinate-id files, laying out the remapped
 * state directory with Docker's permissions, giving a container's files to its remapped root, and
 * reading the mount flags bind mounts must keep.
 */
import { promises as fsp, realpathSync, readFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { errnoCode, invalidArgument } from '../../core/errors.js';
import { parseMountInfo } from '../../host/mountinfo.js';
import { resolveRemap, SUBGID_FILE, SUBUID_FILE, type RemappedRoot } from './remap.js';
import { addLockedFlags, lockedFlags } from './rules.js';

async function readOr(file: string, missing: string | undefined): Promise<string | undefined> {
  return fsp.readFile(file, 'utf8').catch((e: unknown) => {
    if (errnoCode(e) === 'ENOENT') return missing;
    throw e;
  });
}

/** Resolves the `userns-remap` setting against this host's /etc/passwd, /etc/group, /etc/subuid, /etc/subgid. */
export async function loadRemappedRoot(setting: string): Promise<RemappedRoot | null> {
  const [passwd, group, subuid, subgid] = await Promise.all([
    readOr('/etc/passwd', ''), readOr('/etc/group', ''), readOr(SUBUID_FILE, undefined), readOr(SUBGID_FILE, undefined),
  ]);
  return resolveRemap(setting, { passwd: passwd ?? '', group: group ?? '', subuid, subgid });
}

/** Whether uid/gid may search a directory with this stat (dockerd's canAccess: world, owner, then group x bit). */
export function canAccess(st: Pick<Stats, 'mode' | 'uid' | 'gid'>, pair: { uid: number; gid: number }): boolean {
  const perm = st.mode & 0o777;
  return (perm & 0o001) !== 0 || (st.uid === pair.uid && (perm & 0o100) !== 0) || (st.gid === pair.gid && (perm & 0o010) !== 0);
}

/** mkdir (if missing), then Docker's mode and owner; an existing directory gets them too. */
async function dirAs(dir: string, mode: number, uid: number, gid: number): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode });
  await fsp.chmod(dir, mode);
  await fsp.chown(dir, uid, gid);
}

/**
 * dockerd's setupDaemonRoot with a remapped root: the data root becomes 0710 root:<remapped gid> and the
 * state of this daemon moves to <data-root>/<uid>.<gid> (0710, same owner), with its containers directory.
 * Every directory above must let the remapped root through, or containers could not reach their files:
 * refused first, with Docker's error, before anything is changed. Returns the remapped state directory.
 */
export async function setupRemappedRoot(dataRoot: string, root: { uid: number; gid: number }): Promise<string> {
  const remapped = path.join(dataRoot, `${root.uid}.${root.gid}`);
  for (let dir = path.dirname(path.resolve(dataRoot)); dir !== '/'; dir = path.dirname(dir)) {
    const st = await fsp.stat(dir).catch(() => undefined);
    if (!st || !canAccess(st, root)) {
      throw invalidArgument(`a subdirectory in your graphroot path (${remapped}) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories`);
    }
  }
  const self = process.getuid?.() ?? 0;
  await dirAs(dataRoot, 0o710, self, root.gid);
  await dirAs(remapped, 0o710, self, root.gid);
  await dirAs(path.join(remapped, 'containers'), 0o710, self, root.gid);
  return remapped;
}

/**
 * Before a start in the user namespace: the container's directory (0710 root:<remapped gid>) lets the
 * remapped root reach the files bind-mounted into it, and those files (hosts, hostname, resolv.conf)
 * belong to the remapped root, so root in the container may edit them as it could without remapping.
 */
export async function shareContainerFiles(files: readonly (string | undefined)[], root: { uid: number; gid: number }): Promise<void> {
  const present = files.filter((f): f is string => !!f);
  for (const dir of new Set(present.map((f) => path.dirname(f)))) {
    await fsp.chmod(dir, 0o710);
    await fsp.chown(dir, process.getuid?.() ?? 0, root.gid);
  }
  for (const f of present) {
    await fsp.lchown(f, root.uid, root.gid).catch((e: unknown) => {
      if (errnoCode(e) !== 'ENOENT') throw e;
    });
  }
}

/** Adds to each bind mount of a spec the flags its source's mount locks (read from /proc/self/mountinfo). */
export function keepLockedFlags(mounts: { type?: string; source?: string; options?: string[] }[]): void {
  const info = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  addLockedFlags(mounts, (source) => {
    let real: string;
    try {
      real = realpathSync(source);
    } catch {
      return []; // runc reports the missing source
    }
    return lockedFlags(real, info);
  });
}

