/**
 * What userns-remap changes for one container, decided purely: whether it gets the user namespace
 * (`--userns host` opts out), the options Docker refuses with it, the namespace entry of its spec, and
 * the mount flags a bind mount must keep when runc mounts it from inside the namespace.
 */
import path from 'node:path';
import { invalidArgument } from '../../core/errors.js';
import type { MountInfo } from '../../host/mountinfo.js';
import type { IdentityMapping, IdMap } from '../../core/idmap.js';

export interface UsernsHostConfig {
  UsernsMode?: string;
  Privileged?: boolean;
  NetworkMode?: string;
  PidMode?: string;
}

/** The user namespace entry of a container's spec: new with the daemon's maps, or joined by path. */
export interface UsernsSpec {
  uidMappings: IdMap[];
  gidMappings: IdMap[];
  /** /proc/<pid>/ns/user of the container whose namespaces this one shares */
  path?: string;
}

/** A container runs in the remapped user namespace unless the daemon has none or it asked for `--userns host`. */
export function inRemappedUserns(mapping: IdentityMapping | undefined, hc: UsernsHostConfig): mapping is IdentityMapping {
  return mapping !== undefined && mapping.uids.length > 0 && hc.UsernsMode !== 'host';
}

/** dockerd's verifyPlatformContainerSettings: what cannot be combined with a private user namespace. */
export function checkUsernsConflicts(mapping: IdentityMapping | undefined, hc: UsernsHostConfig): void {
  if (!inRemappedUserns(mapping, hc)) return;
  if (hc.Privileged) {
    throw invalidArgument('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
  }
  if (hc.NetworkMode === 'host') throw invalidArgument("cannot share the host's network namespace when user namespaces are enabled");
  if (hc.PidMode === 'host') throw invalidArgument('cannot share the host PID namespace when user namespaces are enabled');
}

/**
 * The spec's user namespace for a container, or undefined (host's). `shared` are the namespace paths
 * (/proc/<pid>/ns/<type>) the container joins from another container: to share a namespace it must share
 * that container's user namespace too (the last one wins, as in dockerd).
 */
export function usernsSpec(mapping: IdentityMapping | undefined, hc: UsernsHostConfig, shared: readonly (string | undefined)[] = []): UsernsSpec | undefined {
  if (!inRemappedUserns(mapping, hc)) return undefined;
  const spec: UsernsSpec = { uidMappings: mapping.uids.map((m) => ({ ...m })), gidMappings: mapping.gids.map((m) => ({ ...m })) };
  for (const p of shared) {
    const m = p ? /^(\/proc\/\d+\/ns)\/[a-z]+$/.exec(p) : null;
    if (m) spec.path = `${m[1]}/user`;
  }
  return spec;
}

/** Per-mount flags the kernel locks (CL_UNPRIVILEGED) on mounts copied into a user namespace. */
const LOCKED_FLAGS = ['ro', 'nodev', 'noexec', 'nosuid', 'noatime', 'relatime', 'nodiratime'];

/**
 * The locked flags of the mount holding `source` (a real path): a bind mount made from inside the user
 * namespace must repeat them or runc's remount fails with EPERM (dockerd's getUnprivilegedMountFlags).
 */
export function lockedFlags(source: string, mounts: readonly MountInfo[]): string[] {
  let best: MountInfo | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const inside = source === mp || mp === '/' || source.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (inside && (!best || mp.length >= best.mountPoint.length)) best = m;
  }
  if (!best) return [];
  const opts = new Set(best.options.split(','));
  return LOCKED_FLAGS.filter((f) => opts.has(f));
}

/** Adds the locked flags of each bind mount's source (missing ones only) to its options. */
export function addLockedFlags(mounts: { type?: string; source?: string; options?: string[] }[], flagsOf: (source: string) => string[]): void {
  for (const m of mounts) {
    if (m.type !== 'bind' || !m.source || !path.isAbsolute(m.source)) continue;
    const opts = m.options ?? [];
    const extra = flagsOf(m.source).filter((f) => !opts.includes(f));
    if (extra.length) m.options = [...opts, ...extra];
  }
}
