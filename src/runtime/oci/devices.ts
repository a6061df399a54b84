/**
 * Devices of a container: HostConfig.Devices (host device nodes made in the container, each allowed in
 * the device cgroup with its permissions), HostConfig.DeviceCgroupRules (extra allow rules) and, for
 * --privileged, every device of the host. Rule parsing is pure; reading the host's nodes is the I/O
 * (lstat/readdir of /dev) the spec generator must not do. Docker's rules and texts (moby
 * oci/devices_linux.go, runc libcontainer/devices).
 */
import { lstatSync, readdirSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { invalidArgument } from '../../core/errors.js';
import type { OciDevice, OciDeviceCgroup } from './types.js';

export interface DeviceMappingSpec {
  PathOnHost?: string;
  PathInContainer?: string;
  CgroupPermissions?: string;
}

/** Device nodes to create and the cgroup rules that allow them. */
export interface ResolvedDevices {
  devices: OciDevice[];
  rules: OciDeviceCgroup[];
}

/** r, w and m, each at most once, at least one (the CLI's validDeviceMode). */
export function validDeviceMode(mode: string): boolean {
  return /^[rwm]{1,3}$/.test(mode) && new Set(mode).size === mode.length;
}

const RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** `c 10:229 rwm`, `a *:* r`: one DeviceCgroupRules entry as an allow rule (wildcards leave major/minor out). */
export function parseDeviceCgroupRule(rule: string): OciDeviceCgroup {
  const m = RULE.exec(rule);
  if (!m) throw invalidArgument(`invalid device cgroup rule format: '${rule}'`);
  const out: OciDeviceCgroup = { allow: true, type: m[1] as 'a' | 'c' | 'b' };
  if (m[2] !== '*') out.major = Number(m[2]);
  if (m[3] !== '*') out.minor = Number(m[3]);
  out.access = m[4];
  return out;
}

/** A mapping's defaults (container path = host path, rwm) and Docker's checks of its fields. */
export function normalizeDeviceMapping(d: DeviceMappingSpec): { host: string; container: string; permissions: string } {
  const host = d.PathOnHost ?? '';
  if (!host) throw invalidArgument('invalid device mapping: PathOnHost is required');
  const container = d.PathInContainer || host;
  if (!path.posix.isAbsolute(container)) throw invalidArgument(`${container} is not an absolute path`);
  const permissions = d.CgroupPermissions || 'rwm';
  if (!validDeviceMode(permissions)) throw invalidArgument(`bad mode specified: ${permissions}`);
  // Go's path.Clean: no trailing slash
  return { host, container: path.posix.normalize(container).replace(/(.)\/$/, '$1'), permissions };
}

/** The node at `file` as an OCI device, or undefined when it is not a block, char or fifo device. */
function nodeOf(st: Stats): Omit<OciDevice, 'path'> | undefined {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : st.isFIFO() ? 'p' : undefined;
  if (!type) return undefined;
  const { major, minor } = splitDev(st.rdev);
  return { type, major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/** glibc's major()/minor() of a dev_t. */
export function splitDev(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  return {
    major: Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n)),
    minor: Number((dev & 0xffn) | ((dev >> 12n) & 0xffffff00n)),
  };
}

const rule = (d: OciDevice, access: string): OciDeviceCgroup => ({ allow: true, type: d.type === 'b' ? 'b' : 'c', major: d.major, minor: d.minor, access });

/**
 * moby's DevicesFromPath: the device at `host` (symlinks resolved) made at `container`, or every device
 * below a host directory; Docker's error when there is none.
 */
export function devicesFromPath(host: string, container: string, permissions: string): ResolvedDevices {
  let resolved = host;
  try {
    if (lstatSync(host).isSymbolicLink()) resolved = realpathSync(host);
  } catch { /* reported below */ }
  let reason: string;
  try {
    const st = lstatSync(resolved);
    const node = nodeOf(st);
    if (node) {
      const d = { ...node, path: container };
      return { devices: [d], rules: node.type === 'p' ? [] : [rule(d, permissions)] };
    }
    reason = 'not a device node';
    if (st.isDirectory()) {
      const out: ResolvedDevices = { devices: [], rules: [] };
      for (const [file, fst] of walk(resolved)) {
        const n = nodeOf(fst);
        if (!n) continue;
        const d = { ...n, path: path.posix.join(container, path.posix.relative(resolved, file)) };
        out.devices.push(d);
        if (n.type !== 'p') out.rules.push(rule(d, permissions));
      }
      if (out.devices.length) return out;
    }
  } catch (e) {
    reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message;
  }
  throw invalidArgument(`error gathering device information while adding custom device ${JSON.stringify(host)}: ${reason}`);
}

/** Files below `dir` (not directories), in name order; `skip` names top-level directories left out. */
function* walk(dir: string, skip: ReadonlySet<string> = new Set(), top = true): Generator<[string, Stats]> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    let st: Stats;
    try {
      st = lstatSync(file);
    } catch {
      continue;
    }
    if (!st.isDirectory()) yield [file, st];
    else if (!(top && skip.has(name))) yield* walk(file, skip, false);
  }
}

/** Directories of /dev that runc's HostDevices leaves out (mounts of their own, or not devices). */
const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Every device node of the host's /dev but the console, as runc's HostDevices (for --privileged). */
export function hostDevices(root = '/dev'): OciDevice[] {
  const out: OciDevice[] = [];
  for (const [file, st] of walk(root, SKIP_DIRS)) {
    const n = nodeOf(st);
    if (!n || n.type === 'p' || file === path.join(root, 'console')) continue;
    out.push({ ...n, path: path.posix.join('/dev', path.posix.relative(root, file)) });
  }
  return out;
}

/** Resolves every mapping of HostConfig.Devices (host I/O) plus the DeviceCgroupRules. */
export function resolveDevices(mappings: readonly DeviceMappingSpec[], cgroupRules: readonly string[]): ResolvedDevices {
  const out: ResolvedDevices = { devices: [], rules: [] };
  for (const m of mappings) {
    const { host, container, permissions } = normalizeDeviceMapping(m);
    const r = devicesFromPath(host, container, permissions);
    out.devices.push(...r.devices);
    out.rules.push(...r.rules);
  }
  for (const r of cgroupRules) out.rules.push(parseDeviceCgroupRule(r));
  return out;
}

