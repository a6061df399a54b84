/**
 * Wiring between a container record and the pure spec generator: resolves what needs I/O (the user in
 * the rootfs, the daemon's bounding set and rlimits) and hands everything to generateSpec.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planSecurity, type SecurityPlan } from '../runtime/oci/security.js';
import type { ContainerCreateBody, ContainerConfig, ExecCreateBody } from '../api/types.js';
import type { ContainerRecord } from './record.js';
import type { NamespacePlan, SpecBuilder, SpecMounts } from './service.js';
import {
  generateSpec, buildRlimits, mergeConfig, composeArgs, containerEnv, withHome, replaceOrAppendEnv, resolveUser, capabilitiesFromMask,
  specToJSON, checkSysctls, rlimitWarnings, resolveDevices, hostDevices, devicesFromPath, normalizeDeviceMapping,
  type HostRlimit, type DeviceMappingSpec, type OciDevice, type OciDeviceCgroup, type OciSpec,
} from '../runtime/oci/index.js';
import type { HostConfig } from '../api/types.js';
import { checkUsernsConflicts, keepLockedFlags, rootPair, shareContainerFiles, usernsSpec, type IdentityMapping } from '../runtime/userns/index.js';

/** The init run as PID 1 for `--init` (Debian's tini-static). */
export const INIT_PATH = '/usr/bin/tini-static';

/** The capabilities this process may grant (root here lacks CAP_SYS_RESOURCE in its bounding set). */
export function boundingCaps(): string[] {
  const status = readFileSync('/proc/self/status', 'utf8');
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  return m ? capabilitiesFromMask(m[1]) : [];
}

/** The daemon's own rlimits, by the names Docker uses (nofile, nproc, ...). */
export function hostRlimits(): Record<string, HostRlimit> {
  const names: Record<string, string> = {
    'Max open files': 'nofile', 'Max processes': 'nproc', 'Max core file size': 'core', 'Max locked memory': 'memlock',
    'Max stack size': 'stack', 'Max file size': 'fsize', 'Max cpu time': 'cpu', 'Max data size': 'data', 'Max address space': 'as',
    'Max msgqueue size': 'msgqueue', 'Max nice priority': 'nice', 'Max realtime priority': 'rtprio', 'Max pending signals': 'sigpending',
  };
  const out: Record<string, HostRlimit> = {};
  for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n').slice(1)) {
    const m = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (!m || !names[m[1]]) continue;
    const v = (s: string) => (s === 'unlimited' ? 18446744073709551615n : BigInt(s));
    out[names[m[1]]] = { soft: v(m[2]), hard: v(m[3]) };
  }
  return out;
}

/**
 * HostConfig.Devices and DeviceCgroupRules as Docker's WithDevices: the nodes to make and the cgroup
 * rules allowing them; privileged containers get every host device (and all access) instead.
 */
export function containerDevices(hc: Pick<HostConfig, 'Privileged' | 'Devices' | 'DeviceCgroupRules'>): { devices: OciDevice[]; rules: OciDeviceCgroup[] } {
  const mappings = (hc.Devices ?? []) as DeviceMappingSpec[];
  if (!hc.Privileged) return resolveDevices(mappings, hc.DeviceCgroupRules ?? []);
  const devices = hostDevices();
  for (const m of mappings) {
    const { host, container } = normalizeDeviceMapping(m);
    if (host !== container) devices.push(...devicesFromPath(host, container, 'rwm').devices);
  }
  return { devices, rules: [] };
}

/** Which namespaces a container will not share with the host, from its modes (for the sysctl rules). */
function ownNamespaces(hc: HostConfig): { net: boolean; ipc: boolean; uts: boolean } {
  const netHost = hc.NetworkMode === 'host';
  return { net: !netHost, ipc: hc.IpcMode !== 'host', uts: !(hc.UTSMode === 'host' || (netHost && !hc.UTSMode)) };
}

export function makeSpecBuilder(o: {
  cgroupParent: string; idMap?: IdentityMapping;
  /** the container's runtime adapts the spec (crun: its precompiled seccomp filter) or refuses it */
  adaptForRuntime?: (runtime: string | undefined, spec: OciSpec) => Promise<void>;
}): SpecBuilder & { execProcess(rec: ContainerRecord, body: ExecCreateBody, rootfs: string): Promise<unknown> } {
  const caps = boundingCaps();
  // without CAP_SYS_RESOURCE no limit can go above the daemon's own hard limits (see /work/shared/notes)
  const limits = caps.includes('CAP_SYS_RESOURCE') ? {} : hostRlimits();
  const host = { arch: process.arch, kernel: os.release() };
  /** capabilities, seccomp, no-new-privileges and AppArmor from CapAdd/CapDrop/Privileged/SecurityOpt (Docker's rules and errors) */
  const security = (hc: { CapAdd?: string[] | null; CapDrop?: string[] | null; Privileged?: boolean; SecurityOpt?: string[] | null }, privileged = !!hc.Privileged): SecurityPlan =>
    planSecurity({
      capAdd: hc.CapAdd, capDrop: hc.CapDrop, privileged, securityOpt: hc.SecurityOpt, hostBoundingCaps: caps,
      readSeccompFile: (p) => readFileSync(p, 'utf8'), host,
    });
  return {
    validateSecurity: (hc) => {
      security(hc);
      checkUsernsConflicts(o.idMap, hc); // userns-remap: Docker's refusals (--privileged, host net/pid without --userns host)
    },
    /** sysctls, devices and device cgroup rules with Docker's (and runc's) errors; warnings for lowered ulimits */
    validateKernelSettings(hc: HostConfig): string[] {
      checkSysctls(hc.Sysctls ?? {}, ownNamespaces(hc));
      containerDevices(hc);
      return rlimitWarnings(hc.Ulimits ?? [], limits);
    },
    mergeConfig: (image: ContainerConfig | undefined, body: ContainerCreateBody) => mergeConfig(image, body),
    composeArgs: (e, c) => composeArgs(e, c),
    async build(rec: ContainerRecord, ctx: { rootfs: string; namespaces: NamespacePlan; mounts?: SpecMounts }): Promise<string> {
      const hc = rec.hostConfig;
      const sec = security(hc);
      const user = await resolveUser(ctx.rootfs, rec.config.User ?? '', hc.GroupAdd ?? []);
      const cs = hc.ConsoleSize;
      const ns = ctx.namespaces;
      const devs = containerDevices(hc);
      // userns-remap: the remapped user namespace (shared with a container whose net/ipc/pid it joins)
      const userns = usernsSpec(o.idMap, hc, [ns.net, ns.ipc, ns.pid].map((n) => (n?.mode === 'path' ? n.path : undefined)));
      if (userns && o.idMap) {
        // its own /dev/shm tmpfs (shareable) too, as dockerd's setupIpcDirs; never the host's or another container's
        const ownShm = ns.shm?.kind === 'bind' && ns.shm.source.startsWith(`${path.dirname(rec.hostsPath)}/`) ? ns.shm.source : undefined;
        await shareContainerFiles([rec.hostsPath, rec.hostnamePath, rec.resolvConfPath, ownShm], rootPair(o.idMap));
      }
      const spec = generateSpec({
        id: rec.id,
        rootfs: ctx.rootfs,
        readonlyRootfs: hc.ReadonlyRootfs,
        args: [rec.path, ...rec.args],
        env: withHome(containerEnv({ hostname: rec.config.Hostname, tty: rec.config.Tty, env: rec.config.Env, extra: ns.linkEnv }), user.home),
        cwd: rec.config.WorkingDir,
        user,
        tty: rec.config.Tty,
        openStdin: rec.config.OpenStdin,
        consoleSize: cs && cs[0] > 0 ? { height: cs[0], width: cs[1] } : undefined,
        hostname: rec.config.Hostname,
        domainname: rec.config.Domainname,
        paths: { hosts: rec.hostsPath, hostname: rec.hostnamePath, resolvConf: rec.resolvConfPath },
        namespaces: { net: ns.net, uts: ns.utsHost ? { mode: 'host' } : { mode: 'new' }, pid: ns.pid, ipc: ns.ipc },
        shmSource: ns.shm?.kind === 'bind' ? ns.shm.source : undefined,
        noShm: ns.shm?.kind === 'none',
        devices: devs.devices,
        deviceRules: devs.rules,
        cgroupsPath: `/${o.cgroupParent}/${rec.id}`,
        privileged: hc.Privileged,
        capabilities: sec.capabilities,
        maskedPaths: hc.MaskedPaths,
        readonlyPaths: hc.ReadonlyPaths,
        noNewPrivileges: sec.noNewPrivileges,
        seccomp: sec.seccomp,
        apparmorProfile: sec.apparmor,
        sysctls: hc.Sysctls,
        ulimits: hc.Ulimits,
        hostRlimits: limits,
        shmSize: hc.ShmSize,
        // with planned mounts, HostConfig.Tmpfs is already part of them
        tmpfs: ctx.mounts ? ctx.mounts.tmpfs : hc.Tmpfs,
        binds: ctx.mounts?.binds,
        rootfsPropagation: ctx.mounts?.rootfsPropagation,
        oomScoreAdj: hc.OomScoreAdj,
        // --init: Debian's static tini (no libc needed in the image), as Docker's docker-init
        ...(hc.Init ? { init: { path: INIT_PATH } } : {}),
        resources: hc,
        userns,
      });
      // runc mounts from inside the namespace: binds must keep their source's locked flags
      if (userns) keepLockedFlags(spec.mounts);
      await o.adaptForRuntime?.(hc.Runtime, spec);
      return specToJSON(spec);
    },
    /** the process object for `runc exec`: the container's environment plus the exec's settings */
    async execProcess(rec: ContainerRecord, body: ExecCreateBody, rootfs: string): Promise<unknown> {
      const user = await resolveUser(rootfs, body.User || rec.config.User || '', rec.hostConfig.GroupAdd ?? []);
      const sec = security(rec.hostConfig, !!body.Privileged || !!rec.hostConfig.Privileged);
      const capList = sec.capabilities;
      // as Docker's exec: the container's environment with its link variables, TERM by the exec's own tty
      const env = withHome(replaceOrAppendEnv(containerEnv({ hostname: rec.config.Hostname, tty: body.Tty, env: rec.config.Env, extra: rec.linkEnv }), body.Env ?? []), user.home);
      return {
        terminal: !!body.Tty,
        user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
        args: body.Cmd,
        env,
        cwd: body.WorkingDir || rec.config.WorkingDir || '/',
        capabilities: { bounding: capList, effective: capList, permitted: capList },
        noNewPrivileges: sec.noNewPrivileges,
        // as Docker: an exec runs with the container's rlimits (--ulimit)
        ...(() => { const r = buildRlimits(rec.hostConfig.Ulimits ?? [], limits); return r.length ? { rlimits: r } : {}; })(),
        ...(body.ConsoleSize && body.ConsoleSize[0] > 0 ? { consoleSize: { height: body.ConsoleSize[0], width: body.ConsoleSize[1] } } : {}),
      };
    },
  };
}
