/**
 * Pure path and metadata rules of Docker's container archive API (moby daemon/archive*.go, pkg/archive):
 * how a requested path is read (trailing `/` and `/.` follow the last component), the tar entry checks
 * of an extraction (no `..` out of the destination, no symlink or hardlink pointing out of it), Go's
 * os.FileMode bits for the X-Docker-Container-Path-Stat header, and which mount holds a path.
 */
import path from 'node:path';
import { constants as C } from 'node:fs';
import { invalidArgument } from '../../core/errors.js';

/** The components of a slash path, without empty and `.` parts (`..` is kept: the resolver handles it). */
export function pathComponents(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/** Go's filepath.Join("/", p): a clean absolute path. */
export function cleanAbs(p: string): string {
  return path.posix.normalize(`/${p}`).replace(/(.)\/$/, '$1');
}

/**
 * What a path given to the archive endpoints means (archive.PreserveTrailingDotOrSeparator): the clean
 * absolute path, whether its last component is followed when it is a symlink (a trailing `/` or `/.`
 * asks for the directory itself), and the name its entries take (filepath.Base of the path as given).
 */
export function archivePath(p: string): { abs: string; follow: boolean; base: string } {
  const abs = cleanAbs(p);
  const dot = /(^|\/)\.$/.test(p) && abs !== '/';
  const slash = p.endsWith('/');
  const base = dot ? '.' : abs === '/' ? '/' : path.posix.basename(abs);
  return { abs, follow: dot || slash, base };
}

/** Go's os.FileMode of an lstat mode: permission bits plus Go's type and special bits. */
export function goFileMode(mode: number): number {
  const GO = { dir: 2 ** 31, symlink: 2 ** 27, device: 2 ** 26, pipe: 2 ** 25, socket: 2 ** 24, setuid: 2 ** 23, setgid: 2 ** 22, char: 2 ** 21, sticky: 2 ** 20, irregular: 2 ** 19 };
  let m = mode & 0o777;
  const type = mode & C.S_IFMT;
  if (type === C.S_IFDIR) m += GO.dir;
  else if (type === C.S_IFLNK) m += GO.symlink;
  else if (type === C.S_IFIFO) m += GO.pipe;
  else if (type === C.S_IFSOCK) m += GO.socket;
  else if (type === C.S_IFCHR) m += GO.device + GO.char;
  else if (type === C.S_IFBLK) m += GO.device;
  else if (type !== C.S_IFREG) m += GO.irregular;
  if (mode & 0o4000) m += GO.setuid;
  if (mode & 0o2000) m += GO.setgid;
  if (mode & 0o1000) m += GO.sticky;
  return m;
}

/** A time in nanoseconds since the epoch as Go's RFC 3339 (trailing zeros of the fraction dropped). */
export function goTime(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString().slice(0, 19);
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso}${frac ? `.${frac}` : ''}Z`;
}

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** The X-Docker-Container-Path-Stat header value. */
export function encodePathStat(s: PathStat): string {
  return Buffer.from(JSON.stringify(s)).toString('base64');
}

/**
 * A tar entry name as an extraction takes it (filepath.Clean, relative to the destination): its
 * components; an absolute name stays inside the destination, a name climbing out of it is refused.
 */
export function entryTarget(name: string, dest: string): string[] {
  const clean = path.posix.normalize(name.replace(/^\/+/, '') || '.');
  const parts = pathComponents(clean);
  if (parts[0] === '..') throw invalidArgument(`${JSON.stringify(name)} is outside of ${JSON.stringify(dest)}`);
  return parts;
}

/** Docker's checks on link entries: a symlink or hardlink must not point (lexically) out of the destination. */
export function checkLinkTarget(kind: 'symlink' | 'link', entry: string[], linkname: string, name: string): void {
  const base = kind === 'symlink' ? entry.slice(0, -1).join('/') : '';
  const joined = path.posix.normalize(`${base}/${linkname}`.replace(/^\/+/, '') || '.');
  if (joined === '..' || joined.startsWith('../')) {
    throw invalidArgument(`invalid ${kind === 'symlink' ? 'symlink' : 'hardlink'} ${JSON.stringify(name)} -> ${JSON.stringify(linkname)}`);
  }
}

/** The hardlink target of an entry, as components under the destination. */
export function linkComponents(linkname: string): string[] {
  return pathComponents(path.posix.normalize(linkname.replace(/^\/+/, '') || '.'));
}

export interface MountRef {
  destination: string;
  rw: boolean;
}

/** The mount holding a container path (the one with the longest destination that contains it). */
export function mountHolding<M extends MountRef>(mounts: readonly M[], ctrPath: string): M | undefined {
  let best: M | undefined;
  for (const m of mounts) {
    const inside = ctrPath === m.destination || ctrPath.startsWith(m.destination === '/' ? '/' : `${m.destination}/`);
    if (inside && (!best || m.destination.length > best.destination.length)) best = m;
  }
  return best;
}

/**
 * Paths Docker keeps in a container's hidden init layer, so that neither `docker diff` nor a commit
 * shows them: the mount points runc makes for the network files and the kernel file systems.
 */
export const INIT_LAYER_PATHS: ReadonlySet<string> = new Set([
  '/dev/pts', '/dev/shm', '/proc', '/sys', '/.dockerenv', '/etc/resolv.conf', '/etc/hosts', '/etc/hostname', '/dev/console', '/etc/mtab',
]);

/** `user[:group]` of a container resolved to ids with its /etc/passwd and /etc/group text. */
export function lookupUser(spec: string, passwd: string, group: string): { uid: number; gid: number } {
  const [u = '', g] = spec.split(':', 2);
  const users = passwd.split('\n').map((l) => l.split(':')).filter((f) => f.length >= 4);
  const byName = users.find((f) => f[0] === u);
  let uid: number;
  let gid: number;
  if (byName) {
    uid = Number(byName[2]);
    gid = Number(byName[3]);
  } else if (/^\d+$/.test(u)) {
    uid = Number(u);
    const byId = users.find((f) => f[2] === u);
    gid = byId ? Number(byId[3]) : uid;
  } else {
    throw invalidArgument(`unable to find user ${u}: no matching entries in passwd file`);
  }
  if (g !== undefined && g !== '') {
    const grp = group.split('\n').map((l) => l.split(':')).find((f) => f.length >= 3 && f[0] === g);
    if (grp) gid = Number(grp[2]);
    else if (/^\d+$/.test(g)) gid = Number(g);
    else throw invalidArgument(`unable to find group ${g}: no matching entries in group file`);
  }
  return { uid, gid };
}
