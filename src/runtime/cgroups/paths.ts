/**
 * Finding a cgroup's directories. Parsing is pure (mountinfo, /proc/<pid>/cgroup); resolveCgroup does the
 * reading. v1 or v2 is decided like containerd's cgroups.Mode(): a host with v1 controller hierarchies is
 * v1 even when a cgroup2 tree is mounted beside them ("hybrid"); v2 only when the unified tree is all.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { unavailable } from '../../core/errors.js';
import { V1_CONTROLLERS, type CgroupPaths, type V1Controller } from './types.js';

export interface MountInfo {
  /** The directory of the mounted filesystem that appears at the mountpoint ("/" for a whole tree). */
  root: string;
  mountpoint: string;
  fstype: string;
  source: string;
  superOptions: string[];
}

/** Octal escapes of mountinfo (\040 for a space, \011, \012, \134). */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));

/** /proc/<pid>/mountinfo (proc(5)): "id parent maj:min root mountpoint opts [optional...] - fstype source superopts". */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (f.length < 7 || sep < 0 || f.length < sep + 3) continue;
    out.push({
      root: unescape(f[3] as string),
      mountpoint: unescape(f[4] as string),
      fstype: f[sep + 1] as string,
      source: unescape(f[sep + 2] as string),
      superOptions: (f[sep + 3] ?? '').split(',').filter(Boolean),
    });
  }
  return out;
}

export interface CgroupHierarchy { mountpoint: string; root: string }

export interface CgroupMounts {
  version: 1 | 2;
  /** v1 hierarchies by controller (co-mounted controllers share one). */
  v1: Partial<Record<V1Controller, CgroupHierarchy>>;
  /** The cgroup2 tree (on a v1 host: the hybrid one, which this module does not use). */
  unified?: CgroupHierarchy;
}

const isV1Controller = (s: string): s is V1Controller => (V1_CONTROLLERS as readonly string[]).includes(s);

/** The cgroup hierarchies among the mounts; the first mount of a hierarchy with root "/" wins. */
export function cgroupMounts(mounts: readonly MountInfo[]): CgroupMounts {
  const v1: Partial<Record<V1Controller, CgroupHierarchy>> = {};
  let unified: CgroupHierarchy | undefined;
  const better = (old: CgroupHierarchy | undefined, m: MountInfo) => !old || (old.root !== '/' && m.root === '/');
  for (const m of mounts) {
    if (m.fstype === 'cgroup') {
      for (const opt of m.superOptions) {
        if (isV1Controller(opt) && better(v1[opt], m)) v1[opt] = { mountpoint: m.mountpoint, root: m.root };
      }
    } else if (m.fstype === 'cgroup2') {
      if (!unified || better(unified, m) || (m.mountpoint === '/sys/fs/cgroup' && m.root === '/')) {
        unified = { mountpoint: m.mountpoint, root: m.root };
      }
    }
  }
  if (Object.keys(v1).length > 0) return { version: 1, v1, unified };
  if (unified) return { version: 2, v1, unified };
  throw unavailable('no cgroup filesystem is mounted');
}

export interface ProcCgroupEntry { id: number; controllers: string[]; path: string }

/** /proc/<pid>/cgroup: "4:memory:/berth/abc", "1:cpu,cpuacct:/x", "0::/user.slice" (v2). */
export function parseProcCgroup(text: string): ProcCgroupEntry[] {
  const out: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (b < 0) continue;
    out.push({ id: Number(line.slice(0, a)), controllers: line.slice(a + 1, b).split(',').filter(Boolean), path: line.slice(b + 1) });
  }
  return out;
}

/** The directory of cgroup path `p` in a hierarchy, or null when `p` lies outside the mounted part. */
function dirIn(h: CgroupHierarchy, p: string): string | null {
  const rel = path.posix.relative(h.root, path.posix.resolve('/', p));
  if (rel.startsWith('..')) return null;
  return path.posix.join(h.mountpoint, rel);
}

/** The directories of a process's cgroups, from its /proc/<pid>/cgroup. */
export function pathsFromProcCgroup(entries: readonly ProcCgroupEntry[], mounts: CgroupMounts): CgroupPaths {
  if (mounts.version === 2) {
    const e = entries.find((x) => x.id === 0 && x.controllers.length === 0);
    const dir = e && mounts.unified ? dirIn(mounts.unified, e.path) : null;
    if (!dir) throw unavailable('process is not in a cgroup v2 hierarchy');
    return { version: 2, dir };
  }
  const dirs: Partial<Record<V1Controller, string>> = {};
  for (const e of entries) {
    for (const c of e.controllers) {
      const h = isV1Controller(c) ? mounts.v1[c] : undefined;
      const dir = h ? dirIn(h, e.path) : null;
      if (dir && isV1Controller(c)) dirs[c] = dir;
    }
  }
  return { version: 1, dirs };
}

/**
 * The directories of an OCI cgroupsPath as runc's cgroupfs driver places it: an absolute path is taken from
 * the top of each hierarchy (its mountpoint), whatever cgroup the caller is in.
 */
export function pathsFromCgroupsPath(cgroupsPath: string, mounts: CgroupMounts): CgroupPaths {
  const inner = path.posix.resolve('/', cgroupsPath);
  if (mounts.version === 2) {
    if (!mounts.unified) throw unavailable('no cgroup v2 hierarchy is mounted');
    return { version: 2, dir: path.posix.join(mounts.unified.mountpoint, inner) };
  }
  const dirs: Partial<Record<V1Controller, string>> = {};
  for (const [c, h] of Object.entries(mounts.v1) as [V1Controller, CgroupHierarchy][]) dirs[c] = path.posix.join(h.mountpoint, inner);
  return { version: 1, dirs };
}

export interface ResolveOptions {
  /** Where procfs is mounted; "/proc" unless told. */
  proc?: string;
}

/** This process's view of the cgroup hierarchies (from /proc/self/mountinfo). */
export async function readCgroupMounts(opts: ResolveOptions = {}): Promise<CgroupMounts> {
  return cgroupMounts(parseMountinfo(await readFile(path.join(opts.proc ?? '/proc', 'self', 'mountinfo'), 'utf8')));
}

/**
 * The directories of a cgroup: of a process (by pid, from /proc/<pid>/cgroup) or of an OCI cgroupsPath
 * such as "/berth/<id>" (also after the container's processes have exited, until `runc delete`).
 */
export async function resolveCgroup(target: number | string, opts: ResolveOptions = {}): Promise<CgroupPaths> {
  const mounts = await readCgroupMounts(opts);
  if (typeof target === 'string') return pathsFromCgroupsPath(target, mounts);
  const text = await readFile(path.join(opts.proc ?? '/proc', String(target), 'cgroup'), 'utf8');
  return pathsFromProcCgroup(parseProcCgroup(text), mounts);
}
