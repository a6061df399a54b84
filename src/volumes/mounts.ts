/**
 * Mount planning for a container, pure: HostConfig.Binds (`-v`), HostConfig.Mounts (`--mount`),
 * HostConfig.Tmpfs, --volumes-from and the image's VOLUMEs become one list of MountPlans, parsed,
 * validated and merged with Docker's precedence and error texts (moby volume/mounts, daemon/volumes.go):
 *
 *   volumes-from   copied from the other container; a bind or mount on the same destination wins
 *   Binds, Mounts  one mount per destination, else `Duplicate mount point: /x`
 *   image VOLUMEs  an anonymous volume each, unless something is already mounted there
 *   Tmpfs          HostConfig.Tmpfs is not a mount point (absent from inspect) and hides a bind or
 *                  volume on the same destination at run time
 *
 * Volume plans carry a name ('' for anonymous) until VolumeService.attach() creates the volumes and
 * fills in name, driver, source and Docker's "z" mode.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Labels, Mount, MountPoint } from '../api/types.js';
import { invalidArgument } from '../core/errors.js';
import { parseMountInfo, type MountInfo } from '../host/mountinfo.js';

export type MountOrigin = 'bind' | 'mount' | 'volumes-from' | 'image' | 'tmpfs';

export interface MountPlan {
  type: 'bind' | 'volume' | 'tmpfs';
  /** which part of the request this came from */
  origin: MountOrigin;
  /** the cleaned absolute path in the container */
  destination: string;
  /** bind: the host path; volume: the volume's mountpoint once attached (else ''); tmpfs: '' */
  source: string;
  /** volume: its name ('' = anonymous, named by attach()) */
  name: string;
  /** volume: the request named no volume (image VOLUME, `-v /x`, --mount without source) */
  anonymous?: boolean;
  /** volume: the driver ('' = the default, local) */
  driver: string;
  rw: boolean;
  /** the `-v` mode as given ("ro,z"); "z" for local volumes once attached, as Docker shows it */
  mode: string;
  /** binds: "rprivate" unless given; '' for volumes and tmpfs */
  propagation: string;
  /** volume: copy the image's content at the destination into the volume while it is empty */
  copyData: boolean;
  /** bind: create the host directory when missing (`-v`, or BindOptions.CreateMountpoint) */
  createSource: boolean;
  /** bind: "bind" instead of "rbind" */
  nonRecursive?: boolean;
  readOnlyNonRecursive?: boolean;
  readOnlyForceRecursive?: boolean;
  /** volume: labels and driver options for creating it when missing (--mount volume-label/volume-opt) */
  volumeLabels?: Labels;
  driverOpts?: Record<string, string>;
  /** volume: mount this directory of the volume (VolumeOptions.Subpath) */
  subpath?: string;
  /** tmpfs: the mount data ("size=64m,mode=1777"), '' for none */
  tmpfsData?: string;
}

export interface VolumesFromInput {
  /** the HostConfig.VolumesFrom entry: `container[:ro|rw]` */
  spec: string;
  /** the other container's mount points (its stored plans) */
  mounts: readonly MountPlan[];
}

export interface PlanInput {
  binds?: readonly string[] | null;
  mounts?: readonly Mount[] | null;
  tmpfs?: Readonly<Record<string, string>> | null;
  /** Config.Volumes of the image and the container, merged */
  imageVolumes?: readonly string[] | null;
  volumesFrom?: readonly VolumesFromInput[] | null;
  /** HostConfig.VolumeDriver */
  volumeDriver?: string;
  /** does a host path exist (for --mount binds); defaults to the real file system */
  exists?: (hostPath: string) => boolean;
}

const RW_MODES = new Set(['rw', 'ro', 'ro-non-recursive', 'ro-force-recursive', 'rro']);
const LABEL_MODES = new Set(['z', 'Z']);
export const PROPAGATION_MODES = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);
const COPY_MODES = new Set(['nocopy']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']);
export const DEFAULT_PROPAGATION = 'rprivate';

/** Go's path.Clean for slash paths. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** linuxValidMountMode: known options, at most one of each kind. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, prop: 0, copy: 0, consistency: 0 };
  for (const o of mode.split(',')) {
    if (RW_MODES.has(o)) counts.rw++;
    else if (LABEL_MODES.has(o)) counts.label++;
    else if (PROPAGATION_MODES.has(o)) counts.prop++;
    else if (COPY_MODES.has(o)) counts.copy++;
    else if (CONSISTENCY_MODES.has(o)) counts.consistency++;
    else return false;
  }
  return Object.values(counts).every((c) => c <= 1);
}

function readWrite(mode: string): boolean {
  return validMountMode(mode) && !mode.split(',').some((o) => o === 'ro' || o === 'ro-non-recursive' || o === 'ro-force-recursive' || o === 'rro');
}

const specError = (raw: string) => `invalid volume specification: '${raw}'`;

class MountConfigError extends Error {
  constructor(type: string, msg: string) {
    super(`invalid mount config for type "${type}": ${msg}`);
  }
}

function validateTarget(target: string): string | undefined {
  if (cleanPath(target.replace(/\\/g, '/')) === '/') return "invalid specification: destination can't be '/'";
  if (!path.posix.isAbsolute(target.replace(/\\/g, '/'))) return `invalid mount path: '${target}' mount path must be absolute`;
  return undefined;
}

/** ConvertTmpfsOptions: "ro", "mode=1777", "size=64m" and the exec/noexec options, comma-joined. */
export function tmpfsData(opts: Mount['TmpfsOptions'] | undefined, readOnly: boolean): string {
  const out: string[] = [];
  if (readOnly) out.push('ro');
  if (opts?.Mode) out.push(`mode=${opts.Mode.toString(8)}`);
  if (opts?.SizeBytes) {
    let size = opts.SizeBytes;
    let suffix = '';
    for (const [s, d] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    out.push(`size=${size}${suffix}`);
  }
  for (const o of opts?.Options ?? []) {
    if (o.length < 1 || o.length > 2) throw new Error('invalid option array length');
    if (o[0] !== 'exec' && o[0] !== 'noexec') throw new Error(`invalid option: ${o[0]}`);
    out.push(o.length === 1 ? o[0] : `${o[0]}=${o[1]}`);
  }
  return out.join(',');
}

/** validateMountConfigImpl: throws MountConfigError. */
function validateMount(m: Mount, checkSource: boolean, exists: (p: string) => boolean): void {
  const fail = (msg: string): never => {
    throw new MountConfigError(m.Type, msg);
  };
  if (!m.Target) fail('field Target must not be empty');
  const bad = validateTarget(m.Target);
  if (bad) fail(bad);
  switch (m.Type) {
    case 'bind': {
      if (!m.Source) fail('field Source must not be empty');
      const prop = m.BindOptions?.Propagation;
      if (prop && !PROPAGATION_MODES.has(prop)) fail(`invalid propagation mode: ${prop}`);
      if (m.VolumeOptions) fail('field VolumeOptions must not be specified');
      if (!path.posix.isAbsolute((m.Source as string).replace(/\\/g, '/'))) fail(`invalid mount path: '${m.Source}' mount path must be absolute`);
      if (checkSource && !exists(m.Source as string) && !m.BindOptions?.CreateMountpoint) fail(`bind source path does not exist: ${m.Source}`);
      break;
    }
    case 'volume': {
      if (m.BindOptions) fail('field BindOptions must not be specified');
      const anonymous = !m.Source;
      const sub = m.VolumeOptions?.Subpath;
      if (sub) {
        if (anonymous) fail('must not set Subpath when using anonymous volumes');
        if (path.posix.isAbsolute(sub) || cleanPath(sub).split('/')[0] === '..') fail('subpath must be a relative path within the volume');
      }
      if (m.ReadOnly && anonymous) fail('must not set ReadOnly mode when using anonymous volumes');
      break;
    }
    case 'tmpfs':
      if (m.BindOptions) fail('field BindOptions must not be specified');
      if (m.Source) fail('field Source must not be specified');
      try {
        tmpfsData(m.TmpfsOptions, !!m.ReadOnly);
      } catch (e) {
        fail((e as Error).message);
      }
      break;
    default:
      fail('mount type unknown');
  }
}

/** A validated Mount as a plan (parseMountSpec). */
function planOf(m: Mount, origin: MountOrigin, checkSource: boolean, exists: (p: string) => boolean): MountPlan {
  validateMount(m, checkSource, exists);
  const plan: MountPlan = {
    type: m.Type as MountPlan['type'],
    origin,
    destination: cleanPath(m.Target.replace(/\\/g, '/')),
    source: '',
    name: '',
    driver: '',
    rw: !m.ReadOnly,
    mode: '',
    propagation: '',
    copyData: false,
    createSource: false,
  };
  if (m.Type === 'volume') {
    plan.name = m.Source ?? '';
    plan.anonymous = plan.name === '';
    plan.copyData = !m.VolumeOptions?.NoCopy;
    plan.driver = m.VolumeOptions?.DriverConfig?.Name ?? '';
    if (m.VolumeOptions?.Labels && Object.keys(m.VolumeOptions.Labels).length > 0) plan.volumeLabels = { ...m.VolumeOptions.Labels };
    if (m.VolumeOptions?.DriverConfig?.Options && Object.keys(m.VolumeOptions.DriverConfig.Options).length > 0) plan.driverOpts = { ...m.VolumeOptions.DriverConfig.Options };
    if (m.VolumeOptions?.Subpath) {
      plan.subpath = cleanPath(m.VolumeOptions.Subpath);
      plan.copyData = false;
    }
  } else if (m.Type === 'bind') {
    plan.source = cleanPath((m.Source as string).replace(/\\/g, '/'));
    plan.propagation = m.BindOptions?.Propagation || DEFAULT_PROPAGATION;
    plan.createSource = !!m.BindOptions?.CreateMountpoint;
    if (m.BindOptions?.NonRecursive) plan.nonRecursive = true;
    if (m.BindOptions?.ReadOnlyNonRecursive) plan.readOnlyNonRecursive = true;
    if (m.BindOptions?.ReadOnlyForceRecursive) plan.readOnlyForceRecursive = true;
  } else {
    plan.tmpfsData = tmpfsData(m.TmpfsOptions, !!m.ReadOnly);
  }
  return plan;
}

/** ParseMountRaw: one `-v` / Binds entry. */
export function parseBind(raw: string, volumeDriver = ''): MountPlan {
  const arr = splitN(raw, ':', 4);
  if (arr[0] === '') throw invalidArgument(specError(raw));
  const spec: Mount = { Type: 'volume', Target: '' };
  let mode = '';
  if (arr.length === 1) spec.Target = arr[0] as string;
  else if (arr.length === 2) {
    // a destination and a mode is no volume ("/foo:rw")
    if (validMountMode(arr[1] as string)) throw invalidArgument(specError(raw));
    [spec.Source, spec.Target] = arr as [string, string];
  } else if (arr.length === 3) {
    [spec.Source, spec.Target, mode] = arr as [string, string, string];
  } else throw invalidArgument(specError(raw));
  if (!validMountMode(mode)) throw invalidArgument(`invalid mode: ${mode}`);
  spec.Type = path.posix.isAbsolute(spec.Source ?? '') ? 'bind' : 'volume';
  spec.ReadOnly = !readWrite(mode);
  const opts = mode.split(',');
  if (volumeDriver && spec.Type === 'volume') spec.VolumeOptions = { DriverConfig: { Name: volumeDriver } };
  if (opts.includes('nocopy')) spec.VolumeOptions = { ...spec.VolumeOptions, NoCopy: true };
  const prop = opts.find((o) => PROPAGATION_MODES.has(o));
  if (prop) spec.BindOptions = { Propagation: prop };
  let plan: MountPlan;
  try {
    plan = planOf(spec, 'bind', false, () => true);
  } catch (e) {
    throw invalidArgument(`${specError(raw)}: ${(e as Error).message}`);
  }
  plan.mode = mode;
  if (plan.type === 'bind') plan.createSource = true;
  if (opts.includes('ro-non-recursive')) plan.readOnlyNonRecursive = true;
  if (opts.includes('ro-force-recursive') || opts.includes('rro')) plan.readOnlyForceRecursive = true;
  return plan;
}

/** ParseMountSpec: one HostConfig.Mounts entry (the bind source must exist unless CreateMountpoint). */
export function parseMountSpec(m: Mount, exists: (p: string) => boolean = existsSync): MountPlan {
  try {
    return planOf(m, 'mount', true, exists);
  } catch (e) {
    throw invalidArgument((e as Error).message);
  }
}

/** ParseVolumesFrom: `container[:mode]`, mode "rw" when absent; no propagation or copy modes. */
export function parseVolumesFrom(spec: string): { container: string; mode: string } {
  if (spec === '') throw invalidArgument('volumes-from specification cannot be an empty string');
  const i = spec.indexOf(':');
  const container = i < 0 ? spec : spec.slice(0, i);
  const mode = i < 0 ? '' : spec.slice(i + 1);
  if (mode === '') return { container, mode: 'rw' };
  const opts = mode.split(',');
  if (!validMountMode(mode) || opts.some((o) => PROPAGATION_MODES.has(o) || COPY_MODES.has(o))) throw invalidArgument(`invalid mode: ${mode}`);
  return { container, mode };
}

function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/**
 * All mounts of a container, in Docker's precedence (see the file comment). Errors are InvalidArgument
 * with Docker's texts; nothing is created or mounted here.
 */
export function planMounts(input: PlanInput): MountPlan[] {
  const exists = input.exists ?? existsSync;
  const byDest = new Map<string, MountPlan>();
  for (const vf of input.volumesFrom ?? []) {
    const { mode } = parseVolumesFrom(vf.spec);
    for (const m of vf.mounts) {
      if (m.origin === 'tmpfs') continue;
      byDest.set(m.destination, { ...m, origin: 'volumes-from', mode: '', rw: m.rw && readWrite(mode), copyData: false, createSource: false });
    }
  }
  const explicit = new Set<string>();
  const claim = (p: MountPlan) => {
    if (explicit.has(p.destination)) throw invalidArgument(`Duplicate mount point: ${p.destination}`);
    explicit.add(p.destination);
    byDest.delete(p.destination); // keep the request's order, not the volumes-from one
    byDest.set(p.destination, p);
  };
  for (const raw of input.binds ?? []) claim(parseBind(raw, input.volumeDriver ?? ''));
  for (const m of input.mounts ?? []) claim(parseMountSpec(m, exists));

  const tmpfs: MountPlan[] = [];
  for (const [dest, data] of Object.entries(input.tmpfs ?? {})) {
    const bad = validateTarget(dest);
    if (bad) throw invalidArgument(bad);
    tmpfs.push({
      type: 'tmpfs', origin: 'tmpfs', destination: cleanPath(dest), source: '', name: '', driver: '', rw: true, mode: '', propagation: '',
      copyData: false, createSource: false, tmpfsData: data,
    });
  }
  const tmpfsDests = new Set(tmpfs.map((t) => t.destination));
  for (const v of input.imageVolumes ?? []) {
    const bad = validateTarget(v);
    if (bad) throw invalidArgument(bad);
    const dest = cleanPath(v);
    if (byDest.has(dest) || tmpfsDests.has(dest)) continue;
    byDest.set(dest, {
      type: 'volume', origin: 'image', destination: dest, source: '', name: '', anonymous: true, driver: input.volumeDriver ?? '', rw: true,
      mode: '', propagation: '', copyData: true, createSource: false,
    });
  }
  return [...byDest.values(), ...tmpfs];
}

/** The `Mounts` entries of container inspect, in Docker's field order (HostConfig.Tmpfs is not among them). */
export function inspectMounts(plans: readonly MountPlan[]): MountPoint[] {
  return plans
    .filter((p) => p.origin !== 'tmpfs')
    .map((p): MountPoint => {
      if (p.type === 'volume') {
        return { Type: p.type, Name: p.name, Source: p.source, Destination: p.destination, Driver: p.driver, Mode: p.mode, RW: p.rw, Propagation: p.propagation };
      }
      return { Type: p.type, Source: p.source, Destination: p.destination, Mode: p.mode, RW: p.rw, Propagation: p.propagation };
    });
}

/** Destinations of HostConfig.Tmpfs: a bind or volume planned there is not mounted at run time. */
export function tmpfsDestinations(plans: readonly MountPlan[]): Set<string> {
  return new Set(plans.filter((p) => p.origin === 'tmpfs').map((p) => p.destination));
}

/** An OCI bind mount for the runtime spec (the shape of src/runtime/oci BindSpec). */
export interface BindMount {
  source: string;
  destination: string;
  options: string[];
}

/** The OCI options of a bind or volume mount: rbind|bind, ro, propagation (rprivate by default). */
export function bindOptions(p: MountPlan): string[] {
  const opts = [p.nonRecursive ? 'bind' : 'rbind'];
  if (!p.rw) opts.push(p.readOnlyForceRecursive ? 'rro' : 'ro');
  opts.push(p.propagation || DEFAULT_PROPAGATION);
  return opts;
}

/** Path depth, for mounting parents before children (moby's sortMounts). */
const depth = (p: string) => (p === '/' ? 0 : p.split('/').length - 1);

/**
 * What the runtime spec needs once binds and volumes have host paths (`hostPaths` by destination,
 * from VolumeService.setUp): bind mounts parents first, and every tmpfs (HostConfig.Tmpfs and
 * --mount type=tmpfs) as destination -> data. A bind or volume hidden by a HostConfig.Tmpfs is left out.
 */
export function specMounts(plans: readonly MountPlan[], hostPaths: ReadonlyMap<string, string>): { binds: BindMount[]; tmpfs: Record<string, string> } {
  const tmpfs: Record<string, string> = {};
  for (const p of plans) if (p.type === 'tmpfs') tmpfs[p.destination] = p.tmpfsData ?? '';
  const hidden = tmpfsDestinations(plans);
  const binds: BindMount[] = [];
  for (const p of plans) {
    if (p.type === 'tmpfs' || hidden.has(p.destination)) continue;
    const source = hostPaths.get(p.destination) ?? p.source;
    if (!source) throw invalidArgument(`no host path for the mount on ${p.destination}`);
    binds.push({ source, destination: p.destination, options: bindOptions(p) });
  }
  binds.sort((a, b) => depth(a.destination) - depth(b.destination));
  return { binds, tmpfs };
}

/**
 * Docker's checks for binds with shared or slave propagation (moby's ensureShared / ensureSharedOrSlave):
 * the mount holding the source must itself be shared (or a slave, for slave modes), and the container's
 * root gets the propagation that lets the bind's events through ("rshared" or "rslave"). `mountinfo` is
 * the text of /proc/self/mountinfo; sources must be real paths (no symlinks).
 */
export function propagationPlan(binds: readonly BindMount[], mountinfo: string): { rootfsPropagation?: 'rshared' | 'rslave' } {
  const mounts = parseMountInfo(mountinfo);
  const sourceMount = (p: string): MountInfo | undefined => {
    let best: MountInfo | undefined;
    for (const m of mounts) {
      const inside = m.mountPoint === '/' || p === m.mountPoint || p.startsWith(`${m.mountPoint}/`);
      // the last mount on the longest matching point is the one visible
      if (inside && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
    }
    return best;
  };
  let root: 'rshared' | 'rslave' | undefined;
  for (const b of binds) {
    const prop = (b.options ?? []).find((o) => /^r?(shared|slave)$/.test(o));
    if (!prop) continue;
    const m = sourceMount(b.source);
    const shared = !!m?.optional.some((o) => o.startsWith('shared:'));
    const slave = !!m?.optional.some((o) => o.startsWith('master:'));
    if (prop.endsWith('shared')) {
      if (!shared) throw invalidArgument(`path ${b.source} is mounted on ${m?.mountPoint ?? '/'} but it is not a shared mount`);
      root = 'rshared';
    } else {
      if (!shared && !slave) throw invalidArgument(`path ${b.source} is mounted on ${m?.mountPoint ?? '/'} but it is not a shared or slave mount`);
      root ??= 'rslave';
    }
  }
  return root ? { rootfsPropagation: root } : {};
}

/** Whether a create request asks for a bind with shared or rshared propagation (a bind that fails to parse asks for nothing: attach reports it). */
export function asksSharedPropagation(hc: { Binds?: string[] | null; Mounts?: unknown[] | null }): boolean {
  const shared = (p: string | undefined) => p === 'shared' || p === 'rshared';
  if ((hc.Mounts ?? []).some((m) => (m as Mount | null)?.Type === 'bind' && shared((m as Mount).BindOptions?.Propagation))) return true;
  return (hc.Binds ?? []).some((raw) => {
    try {
      return typeof raw === 'string' && shared(parseBind(raw).propagation);
    } catch {
      return false;
    }
  });
}
