/**
 * A container's PID and IPC namespaces and its /dev/shm, as Docker has them (the network namespace is
 * src/network's, UTS follows it in service.ts). /dev/shm follows the IPC mode:
 *
 *   private (the default)  own IPC namespace, own /dev/shm tmpfs of ShmSize (runc mounts it)
 *   none                   own IPC namespace, no /dev/shm at all
 *   shareable              own IPC namespace; /dev/shm is a tmpfs of ShmSize the daemon mounts at
 *                          <container dir>/mounts/shm, so that others can join it
 *   host                   the host's IPC namespace and /dev/shm
 *   container:<ref>        the donor's IPC namespace and /dev/shm; the donor must be running and be
 *                          shareable, host, or itself a joiner of one of those
 *
 * Lifecycle of a shareable tmpfs: ShmMounts.setUp mounts it before the spec is built; release unmounts
 * it (detached, so joiners keep theirs) when the container stops, when its start fails and on remove;
 * after a crash, reconcile releases it for every container that is not running.
 * Validation and planning are pure; ShmMounts is the one executor (mount(8), umount(8)).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { HostConfig } from '../api/types.js';
import { DEFAULT_SHM_SIZE, type NamespaceSpec } from '../runtime/oci/generate.js';
import { BerthError, conflict, invalidArgument } from '../core/errors.js';
import { parseMountInfo } from '../host/mountinfo.js';
import { mount, unmount } from '../host/index.js';
import type { ContainerRecord } from './record.js';

/** The donor of a `container:<ref>` mode, or undefined (Docker's Container()). */
function donorRef(mode: string | undefined): string | undefined {
  const i = (mode ?? '').indexOf(':');
  return i >= 0 && mode!.slice(0, i) === 'container' ? mode!.slice(i + 1) : undefined;
}

const IPC_MODES = new Set(['', 'none', 'private', 'host', 'shareable']);

/** Docker's create-time checks of the namespace modes (verifyPlatformContainerSettings, validateNetMode). */
export function validateNamespaceModes(config: { Hostname?: string }, hc: HostConfig): void {
  const ipc = hc.IpcMode ?? '';
  if (!IPC_MODES.has(ipc) && donorRef(ipc) === undefined) throw invalidArgument(`invalid IPC mode: ${ipc}`);
  const pid = hc.PidMode ?? '';
  if (pid !== '' && pid !== 'host' && !donorRef(pid)) throw invalidArgument(`invalid PID mode: ${pid}`);
  if ((hc.ShmSize ?? 0) < 0) throw invalidArgument('SHM size can not be less than 0');
  const uts = hc.UTSMode ?? '';
  if (uts !== '' && uts !== 'host') throw invalidArgument(`invalid UTS mode: ${uts}`);
  if (uts === 'host' && config.Hostname) throw invalidArgument('conflicting options: hostname and the UTS mode');
}

/** daemon.json's default-ipc-mode and default-shm-size */
export interface NamespaceDefaults { ipcMode: 'private' | 'shareable'; shmSize: number }

/**
 * What Docker stores at create (adaptContainerSettings): the daemon's default IPC mode and /dev/shm size
 * where the create left them out, and `container:<name>` modes pinned to the donor's id (renaming the
 * donor keeps the link).
 */
export function adaptNamespaceModes(hc: HostConfig, idOf: (ref: string) => string | undefined,
  defaults: NamespaceDefaults = { ipcMode: 'private', shmSize: DEFAULT_SHM_SIZE }): Pick<HostConfig, 'IpcMode' | 'PidMode' | 'ShmSize'> {
  const pin = (mode: string | undefined): string | undefined => {
    const ref = donorRef(mode);
    let id: string | undefined;
    try {
      id = ref ? idOf(ref) : undefined;
    } catch {
      // an ambiguous reference is left as given: starting reports it
    }
    return id ? `container:${id}` : mode;
  };
  return {
    IpcMode: pin(hc.IpcMode) || defaults.ipcMode,
    PidMode: pin(hc.PidMode) ?? '',
    ShmSize: hc.ShmSize && hc.ShmSize > 0 ? hc.ShmSize : defaults.shmSize,
  };
}

/** /dev/shm of a container: runc's private tmpfs, none, or a bind of a host directory. */
export type ShmPlan = { kind: 'private' } | { kind: 'none' } | { kind: 'bind'; source: string };

export interface KernelNamespaces {
  pid: NamespaceSpec;
  ipc: NamespaceSpec;
  shm: ShmPlan;
  /** the tmpfs the daemon mounts for a shareable container (its shm.source) */
  ownShm?: { path: string; size: number };
}

export interface NamespaceLookup {
  /** a container by reference, or undefined */
  find(ref: string): ContainerRecord | undefined;
  /** where a shareable container's /dev/shm tmpfs is mounted */
  shmPath(id: string): string;
}

/** Docker's IsRunning: a paused container still runs */
const running = (r: ContainerRecord) => (r.state.Status === 'running' || r.state.Status === 'paused') && r.state.Pid > 0;

/** The host directory a running container's /dev/shm comes from, when others may join it. */
function shareableShm(rec: ContainerRecord, look: NamespaceLookup, depth = 0): string | undefined {
  const mode = rec.hostConfig.IpcMode ?? '';
  if (mode === 'shareable') return look.shmPath(rec.id);
  if (mode === 'host') return '/dev/shm';
  const ref = donorRef(mode);
  const donor = ref && depth < 8 ? look.find(ref) : undefined;
  return donor && running(donor) ? shareableShm(donor, look, depth + 1) : undefined;
}

/** The running donor of a `container:<ref>` mode, with Docker's errors (getIPCContainer, getPIDContainer). */
function donor(kind: 'IPC' | 'PID', ref: string, look: NamespaceLookup): ContainerRecord {
  const what = `failed to join ${kind} namespace`;
  let rec: ContainerRecord | undefined;
  try {
    rec = look.find(ref);
  } catch (e) {
    throw new BerthError(e instanceof BerthError ? e.kind : 'InvalidArgument', `${what}: ${(e as Error).message}`);
  }
  if (!rec) throw invalidArgument(`${what}: No such container: ${ref}`);
  if (!running(rec)) throw conflict(`${what}: container ${ref} is not running`);
  return rec;
}

/** The PID and IPC namespaces and /dev/shm of a container about to start (IPC first, as Docker checks it first). */
export function planNamespaces(rec: ContainerRecord, look: NamespaceLookup): KernelNamespaces {
  const hc = rec.hostConfig;
  const ipc = planIpc(rec, look);
  const pidRef = donorRef(hc.PidMode);
  const pid: NamespaceSpec = hc.PidMode === 'host' ? { mode: 'host' }
    : pidRef !== undefined ? { mode: 'path', path: `/proc/${donor('PID', pidRef, look).state.Pid}/ns/pid` } : { mode: 'new' };
  return { pid, ...ipc };
}

function planIpc(rec: ContainerRecord, look: NamespaceLookup): Omit<KernelNamespaces, 'pid'> {
  const mode = rec.hostConfig.IpcMode ?? '';
  const ref = donorRef(mode);
  if (ref !== undefined) {
    const d = donor('IPC', ref, look);
    const source = shareableShm(d, look);
    if (!source) throw invalidArgument(`failed to join IPC namespace: container ${ref}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    return { ipc: { mode: 'path', path: `/proc/${d.state.Pid}/ns/ipc` }, shm: { kind: 'bind', source } };
  }
  switch (mode) {
    case 'host': return { ipc: { mode: 'host' }, shm: { kind: 'bind', source: '/dev/shm' } };
    case 'none': return { ipc: { mode: 'new' }, shm: { kind: 'none' } };
    case 'shareable': {
      const p = look.shmPath(rec.id);
      const size = rec.hostConfig.ShmSize && rec.hostConfig.ShmSize > 0 ? rec.hostConfig.ShmSize : DEFAULT_SHM_SIZE;
      return { ipc: { mode: 'new' }, shm: { kind: 'bind', source: p }, ownShm: { path: p, size } };
    }
    default: return { ipc: { mode: 'new' }, shm: { kind: 'private' } };
  }
}

/** The executor for shareable /dev/shm tmpfs mounts: <container dir>/mounts/shm. */
export class ShmMounts {
  constructor(private readonly dirOf: (id: string) => string) {}

  path(id: string): string {
    return path.join(this.dirOf(id), 'mounts', 'shm');
  }

  /** Mounts a fresh tmpfs at `p` (a stale one left there is released first). */
  async setUp(p: { path: string; size: number }): Promise<void> {
    await this.unmountAll(p.path);
    await fsp.mkdir(p.path, { recursive: true, mode: 0o700 });
    await mount('shm', p.path, 'tmpfs', `nosuid,nodev,noexec,mode=1777,size=${p.size}`);
  }

  /** Unmounts the container's tmpfs if there is one (detached: containers that joined it keep theirs). */
  async release(id: string): Promise<void> {
    await this.unmountAll(this.path(id));
  }

  /** After a restart: release the tmpfs of every container that is not running. */
  async releaseStopped(records: readonly ContainerRecord[], log: (m: string) => void): Promise<void> {
    const mounted = new Set(await mountPoints());
    for (const rec of records) {
      if (rec.state.Status === 'running' || rec.state.Status === 'paused' || !mounted.has(this.path(rec.id))) continue;
      log(`unmounting stray /dev/shm of ${rec.id}`);
      await this.release(rec.id).catch((e) => log(`unmount /dev/shm of ${rec.id}: ${(e as Error).message}`));
    }
  }

  private async unmountAll(p: string): Promise<void> {
    for (let i = 0; i < 8 && (await mountPoints()).includes(p); i++) await unmount(p, { lazy: true });
  }
}

async function mountPoints(): Promise<string[]> {
  return parseMountInfo(await fsp.readFile('/proc/self/mountinfo', 'utf8')).map((m) => m.mountPoint);
}
