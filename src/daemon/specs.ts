/**
 * Wiring between a container record and the pure spec generator: resolves what needs I/O (the user in
 * the rootfs, the daemon's bounding set and rlimits) and hands everything to generateSpec.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { planSecurity, type SecurityPlan } from '../runtime/spec/security.js';
import type { ContainerCreateBody, ContainerConfig, ExecCreateBody } from '../api/types.js';
import type { ContainerRecord } from '../core/containers/record.js';
import type { NamespacePlan, SpecBuilder } from '../core/containers/service.js';
import {
  generateSpec, mergeConfig, composeArgs, containerEnv, replaceOrAppendEnv, resolveUser, capabilitiesFromMask,
  specToJSON, type BindSpec, type HostRlimit,
} from '../runtime/spec/index.js';

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

export function makeSpecBuilder(o: { cgroupParent: string }): SpecBuilder & { execProcess(rec: ContainerRecord, body: ExecCreateBody, rootfs: string): Promise<unknown> } {
  const caps = boundingCaps();
  const limits = hostRlimits();
  const host = { arch: process.arch, kernel: os.release() };
  /** capabilities, seccomp, no-new-privileges and AppArmor from CapAdd/CapDrop/Privileged/SecurityOpt (Docker's rules and errors) */
  const security = (hc: { CapAdd?: string[] | null; CapDrop?: string[] | null; Privileged?: boolean; SecurityOpt?: string[] | null }, privileged = !!hc.Privileged): SecurityPlan =>
    planSecurity({
      capAdd: hc.CapAdd, capDrop: hc.CapDrop, privileged, securityOpt: hc.SecurityOpt, hostBoundingCaps: caps,
      readSeccompFile: (p) => readFileSync(p, 'utf8'), host,
    });
  return {
    validateSecurity: (hc) => void security(hc),
    mergeConfig: (image: ContainerConfig | undefined, body: ContainerCreateBody) => mergeConfig(image, body),
    composeArgs: (e, c) => composeArgs(e, c),
    async build(rec: ContainerRecord, ctx: { rootfs: string; namespaces: NamespacePlan; mounts?: { binds: BindSpec[]; tmpfs: Record<string, string> } }): Promise<string> {
      const hc = rec.hostConfig;
      const sec = security(hc);
      const user = await resolveUser(ctx.rootfs, rec.config.User ?? '', hc.GroupAdd ?? []);
      const cs = hc.ConsoleSize;
      return specToJSON(generateSpec({
        id: rec.id,
        rootfs: ctx.rootfs,
        readonlyRootfs: hc.ReadonlyRootfs,
        args: [rec.path, ...rec.args],
        env: containerEnv({ hostname: rec.config.Hostname, tty: rec.config.Tty, env: rec.config.Env }),
        cwd: rec.config.WorkingDir,
        user,
        tty: rec.config.Tty,
        openStdin: rec.config.OpenStdin,
        consoleSize: cs && cs[0] > 0 ? { height: cs[0], width: cs[1] } : undefined,
        hostname: rec.config.Hostname,
        domainname: rec.config.Domainname,
        paths: { hosts: rec.hostsPath, hostname: rec.hostnamePath, resolvConf: rec.resolvConfPath },
        namespaces: { net: ctx.namespaces.net, uts: ctx.namespaces.utsHost ? { mode: 'host' } : { mode: 'new' } },
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
        oomScoreAdj: hc.OomScoreAdj,
        // --init: Debian's static tini (no libc needed in the image), as Docker's docker-init
        ...(hc.Init ? { init: { path: INIT_PATH } } : {}),
        resources: hc,
      }));
    },
    /** the process object for `runc exec`: the container's environment plus the exec's settings */
    async execProcess(rec: ContainerRecord, body: ExecCreateBody, rootfs: string): Promise<unknown> {
      const user = await resolveUser(rootfs, body.User || rec.config.User || '', rec.hostConfig.GroupAdd ?? []);
      const sec = security(rec.hostConfig, !!body.Privileged || !!rec.hostConfig.Privileged);
      const capList = sec.capabilities;
      const env = replaceOrAppendEnv(containerEnv({ hostname: rec.config.Hostname, tty: body.Tty, env: rec.config.Env }), body.Env ?? []);
      return {
        terminal: !!body.Tty,
        user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
        args: body.Cmd,
        env,
        cwd: body.WorkingDir || rec.config.WorkingDir || '/',
        capabilities: { bounding: capList, effective: capList, permitted: capList },
        noNewPrivileges: sec.noNewPrivileges,
        ...(body.ConsoleSize && body.ConsoleSize[0] > 0 ? { consoleSize: { height: body.ConsoleSize[0], width: body.ConsoleSize[1] } } : {}),
      };
    },
  };
}
