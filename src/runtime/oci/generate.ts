/**
 * OCI runtime spec generation: pure, from an already-resolved input (user ids, host limits, bounding set,
 * namespace paths are all decided by the caller). Defaults are Docker's (moby oci/defaults.go and
 * daemon/oci_linux.go).
 */
import { ociResources } from '../cgroups/resources.js';
import path from 'node:path';
import { invalidArgument } from '../../core/errors.js';
import { resolveCapabilities } from './capabilities.js';
import type { OciDevice, OciDeviceCgroup, OciIdMapping, OciMount, OciNamespace, OciNamespaceType, OciResources, OciRlimit, OciSeccomp, OciSpec } from './types.js';

export const OCI_VERSION = '1.0.2';
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
export const RLIM_INFINITY = 18446744073709551615n;

export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Docker's default device cgroup rules. */
export const DEFAULT_DEVICE_RULES: readonly OciDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' }, // /dev/fuse
];

const dev = (p: string, major: number, minor: number): OciDevice => ({ type: 'c', path: p, major, minor, fileMode: 0o666, uid: 0, gid: 0 });
/** Devices every container gets (runc creates the same set; /dev/console comes with the terminal). */
export const DEFAULT_DEVICES: readonly OciDevice[] = [
  dev('/dev/null', 1, 3), dev('/dev/zero', 1, 5), dev('/dev/full', 1, 7), dev('/dev/random', 1, 8),
  dev('/dev/urandom', 1, 9), dev('/dev/tty', 5, 0),
];

export type NamespaceSpec = { mode: 'new' } | { mode: 'host' } | { mode: 'path'; path: string };

export interface BindSpec {
  source: string;
  destination: string;
  /** OCI mount options; defaults to ["rbind", "rprivate"]; "rbind" is added when neither bind form is present. */
  options?: string[];
}

export type { UlimitSpec, HostRlimit, ResourcesSpec } from './types.js';
import type { UlimitSpec, HostRlimit, ResourcesSpec } from './types.js';

export interface SpecInput {
  id: string;
  /** Absolute host path of the container's root filesystem. */
  rootfs: string;
  readonlyRootfs?: boolean;
  args: string[];
  env: string[];
  /** Working directory inside the container; "/" when empty. */
  cwd?: string;
  user: { uid: number; gid: number; additionalGids?: number[] };
  tty?: boolean;
  openStdin?: boolean;
  consoleSize?: { height: number; width: number };
  hostname?: string;
  domainname?: string;
  /** Host files bind-mounted onto /etc/hosts, /etc/hostname and /etc/resolv.conf. */
  paths?: { hosts?: string; hostname?: string; resolvConf?: string };
  /** Missing entries are {mode:'new'}; uts defaults to the host's with host networking. */
  namespaces?: { net?: NamespaceSpec; ipc?: NamespaceSpec; pid?: NamespaceSpec; uts?: NamespaceSpec; cgroup?: 'host' | 'private' };
  /** userns-remap: a user namespace with these id maps, or the one at `path` (shared with another container) */
  userns?: { uidMappings: OciIdMapping[]; gidMappings: OciIdMapping[]; path?: string };
  /** Host directory bound onto /dev/shm instead of a private tmpfs (shareable, host or container ipc). */
  shmSource?: string;
  /** No /dev/shm at all (IpcMode "none"). */
  noShm?: boolean;
  cgroupsPath?: string;
  privileged?: boolean;
  /** The capability set decided by planSecurity; when absent it is derived from capAdd/capDrop. */
  capabilities?: string[];
  capAdd?: string[] | null;
  capDrop?: string[] | null;
  /** The capabilities the daemon can grant (its own bounding set); all known ones when absent. */
  boundingCaps?: string[];
  /** Override Docker's defaults (HostConfig.MaskedPaths / ReadonlyPaths); ignored when privileged. */
  maskedPaths?: string[] | null;
  readonlyPaths?: string[] | null;
  noNewPrivileges?: boolean;
  sysctls?: Record<string, string> | null;
  ulimits?: UlimitSpec[] | null;
  /** The daemon's own limits by name ("nofile"): no rlimit is ever set above their hard value. */
  hostRlimits?: Record<string, HostRlimit>;
  /** Bytes; Docker's 64MB when absent or 0. */
  shmSize?: number;
  /** HostConfig.Tmpfs: destination → comma-separated options. */
  tmpfs?: Record<string, string> | null;
  binds?: BindSpec[];
  /** linux.rootfsPropagation, when a bind needs shared or slave propagation */
  rootfsPropagation?: 'rshared' | 'rslave';
  /** Device nodes made in the container besides the defaults (HostConfig.Devices; privileged: the host's). */
  devices?: OciDevice[];
  /** Device cgroup allow rules after Docker's defaults (the devices' permissions, DeviceCgroupRules); ignored when privileged. */
  deviceRules?: OciDeviceCgroup[];
  oomScoreAdj?: number;
  resources?: ResourcesSpec;
  /** --init: the host path of the init binary, mounted at /sbin/docker-init and put before args. */
  init?: { path: string };
  seccomp?: OciSeccomp;
  apparmorProfile?: string;
  annotations?: Record<string, string>;
}

const ULIMIT_NAMES = new Set(['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

/** mount(8) flags and the key they collide on (moby pkg/mount flags); propagation modes share one key. */
const FLAG_KEYS: Record<string, string> = {
  ro: 'ro', rw: 'ro', suid: 'suid', nosuid: 'suid', dev: 'dev', nodev: 'dev', exec: 'exec', noexec: 'exec',
  sync: 'sync', async: 'sync', dirsync: 'dirsync', remount: 'remount', mand: 'mand', nomand: 'mand',
  atime: 'atime', noatime: 'atime', diratime: 'diratime', nodiratime: 'diratime', bind: 'bind', rbind: 'rbind',
  relatime: 'relatime', norelatime: 'relatime', strictatime: 'strictatime', nostrictatime: 'strictatime',
  shared: 'propagation', rshared: 'propagation', private: 'propagation', rprivate: 'propagation',
  slave: 'propagation', rslave: 'propagation', unbindable: 'propagation', runbindable: 'propagation',
};
const TMPFS_DATA = new Set(['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol', 'tmpcopyup']);

/** moby's MergeTmpfsOptions: later options win over earlier ones of the same kind, order kept. */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const opt = options[i] as string;
    if (opt === 'defaults' || opt === '') continue;
    let key = FLAG_KEYS[opt];
    if (key === undefined) {
      const eq = opt.indexOf('=');
      const name = eq < 0 ? '' : opt.slice(0, eq);
      if (!TMPFS_DATA.has(name)) throw invalidArgument(`invalid tmpfs option ${JSON.stringify(eq < 0 ? [opt] : [name, opt.slice(eq + 1)])}`);
      key = 'data:' + name;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.unshift(opt);
  }
  return out;
}

function defaultMounts(privileged: boolean): OciMount[] {
  const sysOpts = privileged ? ['nosuid', 'noexec', 'nodev'] : ['nosuid', 'noexec', 'nodev', 'ro'];
  const cgroupOpts = privileged ? ['nosuid', 'noexec', 'nodev'] : ['ro', 'nosuid', 'noexec', 'nodev'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOpts },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: cgroupOpts },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
  ];
}

const depth = (p: string) => path.posix.normalize(p).split('/').length;

function userMounts(input: SpecInput): OciMount[] {
  const mounts: OciMount[] = [];
  const files: [string | undefined, string][] = [
    [input.paths?.resolvConf, '/etc/resolv.conf'],
    [input.paths?.hostname, '/etc/hostname'],
    [input.paths?.hosts, '/etc/hosts'],
  ];
  for (const [source, destination] of files) {
    if (source) mounts.push({ destination, type: 'bind', source, options: input.readonlyRootfs ? ['rbind', 'ro', 'rprivate'] : ['rbind', 'rprivate'] });
  }
  for (const b of input.binds ?? []) {
    if (!path.posix.isAbsolute(b.destination)) throw invalidArgument(`invalid mount config: mount path must be absolute: ${b.destination}`);
    let options = b.options ? [...b.options] : ['rbind', 'rprivate'];
    if (!options.includes('bind') && !options.includes('rbind')) options = ['rbind', ...options];
    mounts.push({ destination: path.posix.normalize(b.destination), type: 'bind', source: b.source, options });
  }
  for (const [dest, data] of Object.entries(input.tmpfs ?? {})) {
    if (!path.posix.isAbsolute(dest)) throw invalidArgument(`invalid mount config: mount path must be absolute: ${dest}`);
    const opts = ['noexec', 'nosuid', 'nodev', 'rprivate', ...(data ? data.split(',') : [])];
    mounts.push({ destination: path.posix.normalize(dest), type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions(opts) });
  }
  if (input.shmSource && !input.noShm) {
    mounts.push({ destination: '/dev/shm', type: 'bind', source: input.shmSource, options: ['rbind', 'rprivate'] });
  }
  if (input.init) {
    mounts.push({ destination: '/sbin/docker-init', type: 'bind', source: input.init.path, options: ['bind', 'ro'] });
  }
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.destination)) throw invalidArgument(`Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  // Stable sort by depth so that parents are mounted before their children.
  return mounts.map((m, i) => [m, i] as const).sort((a, b) => depth(a[0].destination) - depth(b[0].destination) || a[1] - b[1]).map(([m]) => m);
}

function buildMounts(input: SpecInput): OciMount[] {
  const user = userMounts(input);
  const userDest = new Set(user.map((m) => m.destination));
  const shmSize = input.shmSize && input.shmSize > 0 ? input.shmSize : DEFAULT_SHM_SIZE;
  const defaults: OciMount[] = [];
  for (const m of defaultMounts(!!input.privileged)) {
    if (userDest.has(m.destination)) continue;
    if (userDest.has('/dev') && m.destination.startsWith('/dev/')) continue;
    if (m.destination === '/dev/shm') {
      if (input.noShm) continue;
      m.options = [...(m.options ?? []), `size=${shmSize}`];
    }
    defaults.push(m);
  }
  if (input.readonlyRootfs) {
    const skip = new Set(['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev']);
    for (const m of defaults) if (!skip.has(m.destination) && !m.options?.includes('ro')) m.options = [...(m.options ?? []), 'ro'];
  }
  return [...defaults, ...user];
}

function nsEntry(type: OciNamespaceType, spec: NamespaceSpec | undefined): OciNamespace | null {
  const s = spec ?? { mode: 'new' };
  if (s.mode === 'host') return null;
  if (s.mode === 'path') {
    if (!s.path) throw invalidArgument(`missing namespace path for ${type}`);
    return { type, path: s.path };
  }
  return { type };
}

function buildNamespaces(input: SpecInput): OciNamespace[] {
  const ns = input.namespaces ?? {};
  const uts = ns.uts ?? (ns.net?.mode === 'host' ? { mode: 'host' as const } : { mode: 'new' as const });
  const list: (OciNamespace | null)[] = [
    { type: 'mount' },
    nsEntry('network', ns.net),
    nsEntry('uts', uts),
    nsEntry('pid', ns.pid),
    nsEntry('ipc', ns.ipc),
    ns.cgroup === 'private' ? { type: 'cgroup' } : null,
  ];
  return list.filter((n): n is OciNamespace => n !== null);
}

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** Which namespaces a container does not share with the host (for the sysctl rules). */
export interface OwnNamespaces { net: boolean; ipc: boolean; uts: boolean }

/**
 * runc's rule, with its texts (Docker passes HostConfig.Sysctls through and runc refuses them at start;
 * Berth checks at create too): a sysctl must belong to a namespace the container does not share with
 * the host, and kernel.hostname is the OCI hostname field's.
 */
export function checkSysctls(sysctls: Record<string, string>, own: OwnNamespaces): void {
  for (const key of Object.keys(sysctls)) {
    const q = JSON.stringify(key);
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (!own.ipc) throw invalidArgument(`sysctl ${q} is not allowed in the hosts ipc namespace`);
      continue;
    }
    if (key.startsWith('net.')) {
      if (!own.net) throw invalidArgument(`sysctl ${q} not allowed in host network namespace`);
      continue;
    }
    if (own.uts && key === 'kernel.domainname') continue;
    if (own.uts && key === 'kernel.hostname') throw invalidArgument(`sysctl ${q} is not allowed as it conflicts with the OCI "hostname" field`);
    throw invalidArgument(`sysctl ${q} is not in a separate kernel namespace`);
  }
}

const big = (v: number | bigint) => (typeof v === 'bigint' ? v : v < 0 ? RLIM_INFINITY : BigInt(Math.floor(v)));

/** Docker ulimits → OCI rlimits, clamped to the daemon's hard limits (raising them would fail in runc). */
export function buildRlimits(ulimits: readonly UlimitSpec[], host: Record<string, HostRlimit> = {}): OciRlimit[] {
  const out: OciRlimit[] = [];
  for (const u of ulimits) {
    const name = u.Name.toLowerCase();
    if (!ULIMIT_NAMES.has(name)) throw invalidArgument(`invalid ulimit type: ${u.Name}`);
    let hard = big(u.Hard);
    let soft = big(u.Soft);
    if (soft > hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    const h = host[name];
    if (h !== undefined && hard > big(h.hard)) hard = big(h.hard);
    if (soft > hard) soft = hard;
    const type = 'RLIMIT_' + name.toUpperCase();
    const i = out.findIndex((r) => r.type === type);
    if (i >= 0) out.splice(i, 1);
    out.push({ type, hard, soft });
  }
  return out;
}

/**
 * The ulimits buildRlimits lowers to the daemon's hard limits (which it cannot raise without
 * CAP_SYS_RESOURCE), one warning each, for the create response.
 */
export function rlimitWarnings(ulimits: readonly UlimitSpec[], host: Record<string, HostRlimit> = {}): string[] {
  const out: string[] = [];
  for (const u of ulimits) {
    const name = u.Name.toLowerCase();
    const h = host[name];
    if (h === undefined || big(u.Hard) <= big(h.hard)) continue;
    out.push(`ulimit ${name}: the hard limit ${big(u.Hard)} is above the daemon's own (${big(h.hard)}) and is lowered to it: the daemon cannot raise limits (it lacks CAP_SYS_RESOURCE)`);
  }
  return out;
}

/** The OCI runtime spec (config.json) of a container. */
export function generateSpec(input: SpecInput): OciSpec {
  if (!path.isAbsolute(input.rootfs)) throw invalidArgument(`rootfs must be an absolute path: ${input.rootfs}`);
  if (input.args.length === 0) throw invalidArgument('No command specified');
  const privileged = !!input.privileged;
  const caps = input.capabilities ?? resolveCapabilities({ privileged, capAdd: input.capAdd, capDrop: input.capDrop, bounding: input.boundingCaps });
  const namespaces = buildNamespaces(input);
  const sysctls = input.sysctls ?? {};
  const has = (t: OciNamespaceType) => namespaces.some((n) => n.type === t);
  checkSysctls(sysctls, { net: has('network'), ipc: has('ipc'), uts: has('uts') });
  const hasUts = has('uts');
  const args = input.init ? ['/sbin/docker-init', '--', ...input.args] : [...input.args];

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: !!input.tty,
      user: { uid: input.user.uid, gid: input.user.gid, ...(input.user.additionalGids?.length ? { additionalGids: [...input.user.additionalGids] } : {}) },
      args,
      env: [...input.env],
      cwd: input.cwd || '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
    },
    root: { path: input.rootfs, readonly: !!input.readonlyRootfs },
    mounts: buildMounts(input),
    linux: { namespaces },
  };
  if (input.userns) {
    // runc writes the maps only for a new namespace; dockerd passes them with a path too
    namespaces.push(input.userns.path ? { type: 'user', path: input.userns.path } : { type: 'user' });
    spec.linux.uidMappings = input.userns.uidMappings.map((m) => ({ ...m }));
    spec.linux.gidMappings = input.userns.gidMappings.map((m) => ({ ...m }));
  }
  if (input.rootfsPropagation) spec.linux.rootfsPropagation = input.rootfsPropagation;
  if (input.tty && input.consoleSize) spec.process.consoleSize = { ...input.consoleSize };
  if (input.noNewPrivileges) spec.process.noNewPrivileges = true;
  if (input.oomScoreAdj !== undefined) spec.process.oomScoreAdj = input.oomScoreAdj;
  if (input.apparmorProfile && !privileged) spec.process.apparmorProfile = input.apparmorProfile;
  const rlimits = buildRlimits(input.ulimits ?? [], input.hostRlimits);
  if (rlimits.length) spec.process.rlimits = rlimits;
  if (hasUts) {
    if (input.hostname) spec.hostname = input.hostname;
    if (input.domainname) spec.domainname = input.domainname;
  }
  if (input.annotations && Object.keys(input.annotations).length) spec.annotations = { ...input.annotations };

  const linux = spec.linux;
  const devices = [...DEFAULT_DEVICES];
  for (const d of input.devices ?? []) {
    const i = devices.findIndex((x) => x.path === d.path);
    if (i >= 0) devices.splice(i, 1);
    devices.push(d);
  }
  linux.devices = devices;
  if (input.cgroupsPath) linux.cgroupsPath = input.cgroupsPath;
  // HostConfig resources → linux.resources as Docker maps them (src/runtime/cgroups); devices below
  const resources = ociResources(input.resources ?? {});
  resources.devices = privileged ? [{ allow: true, access: 'rwm' }] : [...DEFAULT_DEVICE_RULES, ...(input.deviceRules ?? [])];
  linux.resources = resources;
  if (Object.keys(sysctls).length) linux.sysctl = { ...sysctls };
  if (!privileged) {
    linux.maskedPaths = [...(input.maskedPaths ?? DEFAULT_MASKED_PATHS)];
    linux.readonlyPaths = [...(input.readonlyPaths ?? DEFAULT_READONLY_PATHS)];
    if (input.seccomp) linux.seccomp = input.seccomp;
  }
  return spec;
}

/** config.json text: like JSON.stringify, but bigint values (rlimits) are written as exact integers. */
export function specToJSON(spec: unknown, indent?: number): string {
  const marks: string[] = [];
  const text = JSON.stringify(spec, (_k, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    marks.push(v.toString());
    return `\u0000bigint${marks.length - 1}\u0000`;
  }, indent);
  return text.replace(/"\\u0000bigint(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)] as string);
}
