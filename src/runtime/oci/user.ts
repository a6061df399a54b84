/**
 * Resolving a Docker `User` ("name", "uid", "name:group", "uid:gid") against the container's
 * /etc/passwd and /etc/group, as moby/sys/user GetExecUserPath does. This is the one file of the spec
 * folder that does I/O: the files are read inside the rootfs without ever leaving it through a symlink.
 */
import { constants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { errnoCode, invalidArgument } from '../../core/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** The home directory from passwd, "/" when unknown. */
  home: string;
}

const MAX_ID = 2147483647;
const MAX_SYMLINKS = 40;

/**
 * The host path of `unsafe` (an absolute path inside the container) resolved inside `root`, following
 * symlinks as the container would see them (absolute targets are relative to the rootfs). A symlink that
 * climbs out of the rootfs with ".." yields null: the file is treated as absent. A missing component ends
 * resolution with the lexical rest appended (opening it then fails with ENOENT).
 */
export async function resolveInRoot(root: string, unsafe: string): Promise<string | null> {
  const rootAbs = path.resolve(root);
  let pending = unsafe.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      if (done.length === 0) return null;
      done.pop();
      continue;
    }
    const candidate = path.join(rootAbs, ...done, part);
    let st;
    try {
      st = await fsp.lstat(candidate);
    } catch {
      return path.join(candidate, ...pending);
    }
    if (!st.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) return null;
    const target = await fsp.readlink(candidate);
    const parts = target.split('/').filter((p) => p !== '' && p !== '.');
    if (target.startsWith('/')) done.length = 0;
    pending = [...parts, ...pending];
  }
  return path.join(rootAbs, ...done);
}

/** Reads a regular file inside the rootfs; null when absent, not a regular file or escaping the rootfs. */
export async function readFileInRoot(root: string, file: string): Promise<string | null> {
  const resolved = await resolveInRoot(root, file);
  if (resolved === null) return null;
  let fh;
  try {
    fh = await fsp.open(resolved, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (['ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES'].includes(errnoCode(err) ?? '')) return null;
    throw err;
  }
  try {
    if (!(await fh.stat()).isFile()) return null;
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

const lines = (text: string | null) =>
  (text ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));

const toId = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : NaN);

export function parsePasswd(text: string | null): PasswdEntry[] {
  return lines(text).map((l) => {
    const f = l.split(':');
    return { name: f[0] ?? '', uid: toId(f[2]), gid: toId(f[3]), home: f[5] ?? '' };
  });
}

export function parseGroup(text: string | null): GroupEntry[] {
  return lines(text).map((l) => {
    const f = l.split(':');
    return { name: f[0] ?? '', gid: toId(f[2]), members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) };
  });
}

function numericId(s: string): number | undefined {
  if (!/^-?\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n < 0 || n > MAX_ID) throw invalidArgument('uids and gids must be in range 0-2147483647');
  return n;
}

/** The pure part of resolveUser, over already-read passwd and group contents. */
export function resolveUserFrom(passwdText: string | null, groupText: string | null, userSpec: string, groupAdd: readonly string[] = []): ResolvedUser {
  const [userArg = '', groupArg = ''] = userSpec.split(':');
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const user: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };
  let matchedName = '';

  const uidArg = numericId(userArg);
  const match =
    userArg === '' ? passwd.find((u) => u.uid === 0)
      : uidArg !== undefined ? passwd.find((u) => u.uid === uidArg)
        : passwd.find((u) => u.name === userArg);
  if (match && Number.isFinite(match.uid)) {
    user.uid = match.uid;
    user.gid = Number.isFinite(match.gid) ? match.gid : 0;
    user.home = match.home || '/';
    matchedName = match.name;
  } else if (userArg !== '') {
    if (uidArg === undefined) throw invalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
    user.uid = uidArg;
  }

  if (groupArg !== '') {
    const gidArg = numericId(groupArg);
    const g = groups.find((e) => (gidArg !== undefined ? e.gid === gidArg : e.name === groupArg));
    if (g && Number.isFinite(g.gid)) user.gid = g.gid;
    else if (gidArg !== undefined) user.gid = gidArg;
    else throw invalidArgument(`unable to find group ${groupArg}: no matching entries in group file`);
  } else if (matchedName !== '') {
    user.additionalGids = groups.filter((g) => g.members.includes(matchedName) && Number.isFinite(g.gid)).map((g) => g.gid);
  }

  for (const ag of groupAdd) {
    const gidArg = numericId(ag);
    const g = groups.find((e) => e.name === ag || (gidArg !== undefined && e.gid === gidArg));
    let gid: number;
    if (g && Number.isFinite(g.gid)) gid = g.gid;
    else if (gidArg !== undefined) gid = gidArg;
    else throw invalidArgument(`Unable to find group ${ag}: no matching entries in group file`);
    if (!user.additionalGids.includes(gid)) user.additionalGids.push(gid);
  }
  // the primary group is a supplementary group too, first, as dockerd gives it (`id` in a container
  // shows `groups=<gid>`, /proc/self/status `Groups: <gid> ...`)
  user.additionalGids = [user.gid, ...user.additionalGids.filter((g) => g !== user.gid)];
  return user;
}

/**
 * Resolves `userSpec` (Config.User; "" means root) and HostConfig.GroupAdd against the rootfs.
 * Errors are Docker's: `unable to find user xyz: no matching entries in passwd file`.
 */
export async function resolveUser(rootfs: string, userSpec: string, groupAdd: readonly string[] = []): Promise<ResolvedUser> {
  const [passwd, group] = await Promise.all([readFileInRoot(rootfs, '/etc/passwd'), readFileInRoot(rootfs, '/etc/group')]);
  return resolveUserFrom(passwd, group, userSpec, groupAdd);
}
