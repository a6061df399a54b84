/**
 * Which runtimes a daemon can use on this host, how each is invoked, and which one is the default.
 *
 * Cgroup layouts (from /proc/self/mountinfo):
 *   - v2 (cgroup2 at /sys/fs/cgroup; most current distributions): runc and crun run as they are.
 *   - v1 (cgroup v1 hierarchies only): the same.
 *   - hybrid (v1 hierarchies plus a cgroup2 mount, usually /sys/fs/cgroup/unified, which may hold
 *     controllers such as hugetlb): crun 1.8 refuses with "cgroups in hybrid mode not supported, drop all
 *     controllers from cgroupv2". Berth then runs every crun invocation in a mount namespace of its own in
 *     which that cgroup2 mount is unmounted (native/hide-mount-exec.c, or unshare(1) and sh when the helper
 *     was not built); crun then sees, and manages, the v1 hierarchies, as runc does. The namespace is a
 *     slave of the host's, so what the host mounts later still reaches containers. What this cannot do is
 *     refused at start: limits for controllers that live only on the hidden cgroup2 mount (hugetlb here),
 *     and shared bind propagation back to the host. A container that asks for shared propagation without
 *     naming a runtime gets runc instead (RuntimeSet.pick).
 * The default runtime is daemon.json's `default-runtime` (or --default-runtime) when given, else crun when
 * it is installed and answers through the invocation above, else runc.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { invalidArgument } from '../core/errors.js';
import { ConmonRuntime } from './conmon/index.js';
import { SeccompCompiler } from './bpf/compiler.js';
import { lookPath } from './lookpath.js';
import { nativeHelper } from '../host/native.js';
import type { OciSpec } from './oci/types.js';
import { RuntimeSet, type RuntimeEntry, type RuntimeNeeds } from './set.js';

export interface RuntimeConfigEntry { path: string; runtimeArgs: string[] }

export type CgroupLayout = { kind: 'v2' } | { kind: 'v1' } | { kind: 'hybrid'; unified: string; controllers: string[] };

/** The host's cgroup layout from mountinfo text (pure). */
export function cgroupLayout(mountinfo: string, controllersOf: (mountpoint: string) => string[] = () => []): CgroupLayout {
  let v1 = false;
  let v2At: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const mountpoint = line.slice(0, sep).split(' ')[4];
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype === 'cgroup') v1 = true;
    else if (fstype === 'cgroup2' && mountpoint) v2At ??= mountpoint;
  }
  if (v2At && !v1) return { kind: 'v2' };
  if (v2At && v1) return { kind: 'hybrid', unified: v2At, controllers: controllersOf(v2At) };
  return { kind: 'v1' };
}

/** How a runtime binary is run: directly, or (crun on a hybrid host) through the mount-hiding helper. */
export function invocation(binary: string, args: string[], layout: CgroupLayout, helper: string | undefined): { path: string; args: string[]; via?: string } {
  if (layout.kind !== 'hybrid' || path.basename(binary) !== 'crun') return { path: binary, args };
  if (helper) return { path: helper, args: [layout.unified, binary, ...args], via: 'berth-hide-mount-exec' };
  // no helper built: unshare(1), then a shell that unmounts and execs crun with the arguments conmon adds
  return {
    path: lookPath('unshare'),
    args: ['-m', '--propagation', 'slave', '/bin/sh', '-c', 'umount -l "$0" 2>/dev/null; exec "$@"', layout.unified, binary, ...args],
    via: 'unshare(1)',
  };
}

export interface RuntimeReport {
  /** as configured (daemon.json, --add-runtime, or the built-in name) */
  path: string;
  runtimeArgs?: string[];
  /** what Berth found and does, for docker info's Runtimes[name].status */
  status: Record<string, string>;
}

export interface OpenedRuntimes {
  runtime: RuntimeSet;
  defaultName: string;
  /** why the default is what it is */
  reason: string;
  layout: CgroupLayout;
  reports: Record<string, RuntimeReport>;
  /** versions by runtime name (`crun --version`'s first line) */
  versions: Record<string, string>;
}

function runOut(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10000 }, (err, stdout, stderr) => (err ? reject(new Error((stderr || err.message).trim())) : resolve(stdout)));
  });
}

/** Checks that a spec can run as asked on a crun that hides the cgroup2 mount; throws Docker-style InvalidArgument. */
export function checkHiddenCgroup2(spec: OciSpec, layout: CgroupLayout): void {
  if (layout.kind !== 'hybrid') return;
  const res = spec.linux?.resources as { hugepageLimits?: unknown[] } | undefined;
  if (res?.hugepageLimits?.length) {
    throw invalidArgument(`hugetlb limits cannot be applied with crun on this host: the hugetlb controller is on the cgroup2 mount at ${layout.unified}, which crun runs without (hybrid cgroup layout); use --runtime runc`);
  }
  const prop = spec.linux?.rootfsPropagation;
  if (prop === 'rshared' || prop === 'shared') {
    throw invalidArgument(`shared mount propagation cannot reach the host with crun on this host (hybrid cgroup layout: crun runs in a mount namespace of its own); use --runtime runc`);
  }
}

export async function openRuntimes(o: {
  runtimes: Record<string, RuntimeConfigEntry>;
  defaultRuntime?: string;
  execRoot: string;
  exitDir: string;
  /** the container's runtime name from its record */
  runtimeOf: (id: string) => string | undefined;
  mountinfo?: string;
}): Promise<OpenedRuntimes> {
  const mountinfo = o.mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  const layout = cgroupLayout(mountinfo, (mp) => readFileSync(path.join(mp, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean));
  const hideHelper = nativeHelper('berth-hide-mount-exec');
  const bpfHelper = nativeHelper('berth-seccomp-bpf');
  const compiler = bpfHelper ? new SeccompCompiler(bpfHelper) : undefined;
  const entries = new Map<string, RuntimeEntry>();
  const reports: Record<string, RuntimeReport> = {};
  const versions: Record<string, string> = {};
  const problems: Record<string, string> = {};
  for (const [name, conf] of Object.entries(o.runtimes)) {
    const report: RuntimeReport = { path: conf.path, ...(conf.runtimeArgs.length ? { runtimeArgs: conf.runtimeArgs } : {}), status: {} };
    reports[name] = report;
    let binary: string;
    try {
      binary = lookPath(conf.path);
    } catch (e) {
      problems[name] = (e as Error).message;
      report.status['berth.state'] = `not available: ${problems[name]}`;
      continue;
    }
    const isCrun = path.basename(binary) === 'crun';
    const inv = invocation(binary, conf.runtimeArgs, layout, hideHelper);
    try {
      const out = await runOut(inv.path, [...inv.args, '--version']);
      versions[name] = /(?:runc|crun) version (\S+)/.exec(out)?.[1] ?? out.split('\n')[0]!.trim();
    } catch (e) {
      problems[name] = `${binary} --version failed: ${(e as Error).message}`;
      report.status['berth.state'] = `not available: ${problems[name]}`;
      continue;
    }
    const stateRoot = name === 'runc' ? path.join(o.execRoot, 'runc') : name === 'crun' ? path.join(o.execRoot, 'crun') : path.join(o.execRoot, `runtime-${name}`);
    const runtime = new ConmonRuntime({
      runtimePath: inv.path, runtimeArgs: inv.args, stateRoot, exitDir: o.exitDir,
      // runc 1.1 keeps exec.fifo in its state dir; other runtimes are started with their own `start`
      startByFifo: path.basename(binary) === 'runc',
    });
    await runtime.init();
    const precompiled = isCrun && !!compiler;
    entries.set(name, {
      runtime,
      ...(inv.via ? { refuses: (needs: RuntimeNeeds) => (needs.sharedPropagation ? 'shared propagation cannot reach the host from its mount namespace' : undefined) } : {}),
      adaptSpec: isCrun ? async (spec) => {
        if (inv.via) checkHiddenCgroup2(spec, layout);
        if (precompiled) await precompileSeccomp(spec, compiler!);
      } : undefined,
    });
    report.status['berth.binary'] = binary;
    if (versions[name]) report.status['berth.version'] = versions[name]!;
    if (inv.via) {
      report.status['berth.cgroups'] = `hybrid layout: runs in a mount namespace of its own without the cgroup2 mount at ${layout.kind === 'hybrid' ? layout.unified : ''} (through ${inv.via}); hugetlb limits and shared propagation to the host are refused`;
    }
    if (isCrun) report.status['berth.seccomp'] = precompiled ? 'compiled once per profile by Berth (run.oci.seccomp_bpf_data)' : 'compiled by crun for each container (berth-seccomp-bpf not built)';
  }
  let defaultName: string;
  let reason: string;
  if (o.defaultRuntime) {
    defaultName = o.defaultRuntime;
    if (!entries.has(defaultName)) throw invalidArgument(`default runtime ${defaultName} cannot be used: ${problems[defaultName] ?? 'unknown'}`);
    reason = 'set by default-runtime in the daemon configuration';
  } else if (entries.has('crun')) {
    defaultName = 'crun';
    reason = layout.kind === 'hybrid'
      ? `crun is installed and works on this host's hybrid cgroup layout through a mount namespace without ${layout.unified}`
      : `crun is installed and works on this host's cgroup ${layout.kind} layout`;
  } else if (entries.has('runc')) {
    defaultName = 'runc';
    reason = `crun cannot be used (${problems.crun ?? 'not configured'}); runc is the fallback`;
  } else {
    throw invalidArgument(`no OCI runtime found: runc: ${problems.runc ?? '?'}; crun: ${problems.crun ?? '?'}`);
  }
  reports[defaultName]!.status['berth.default'] = reason;
  return { runtime: new RuntimeSet(entries, defaultName, o.runtimeOf), defaultName, reason, layout, reports, versions };
}

/** crun takes the filter precompiled: the seccomp section gives way to the annotation (flags stay, if any). */
async function precompileSeccomp(spec: OciSpec, compiler: SeccompCompiler): Promise<void> {
  const sc = spec.linux?.seccomp;
  if (!sc) return;
  const bpf = await compiler.bpf(sc);
  spec.annotations = { ...(spec.annotations ?? {}), 'run.oci.seccomp_bpf_data': bpf.toString('base64') };
  if (sc.flags?.length) spec.linux!.seccomp = { defaultAction: sc.defaultAction, flags: sc.flags };
  else delete spec.linux!.seccomp;
}
