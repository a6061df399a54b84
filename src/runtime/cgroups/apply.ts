/**
 * Writing resources into a cgroup directly, for cgroups runc does not manage (tests, helper processes):
 * containers get theirs from runc (config.json at create, `runc update` later). cgroupWrites plans the
 * file writes, purely and with runc's v1→v2 conversions; applyToCgroup executes them.
 */
import { mkdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, invalidArgument, unavailable } from '../../core/errors.js';
import { fileDir } from './collect.js';
import { pathsFromCgroupsPath, readCgroupMounts, type ResolveOptions } from './paths.js';
import { NANO_CPUS_PERIOD, nanoCpusQuota } from './resources.js';
import type { CgroupPaths, Resources, V1Controller } from './types.js';

export interface CgroupWrite { file: string; value: string }

export interface PlanOptions {
  /** v1: the cgroup's memory.limit_in_bytes now; decides whether swap or memory is written first. */
  currentMemoryLimit?: number;
  /** v1: whether memory.memsw.* exists (swap accounting); swap is skipped when false. */
  swapAccounting?: boolean;
}

/** runc's ConvertCPUSharesToCgroupV2Value: shares [2, 262144] → cpu.weight [1, 10000]. */
export const sharesToWeight = (shares: number) => (shares === 0 ? 0 : 1 + Math.trunc(((shares - 2) * 9999) / 262142));

/** runc's ConvertBlkIOToIOWeightValue: blkio weight [10, 1000] → io.weight [1, 10000]. */
export const blkioToIoWeight = (weight: number) => (weight === 0 ? 0 : 1 + Math.trunc(((weight - 10) * 9999) / 990));

/** runc's ConvertMemorySwapToCgroupV2Value: memory+swap (v1 style) → memory.swap.max (swap alone). */
export function swapToV2(swap: number, memory: number): number {
  if (memory === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (memory === 0 || memory === -1) throw invalidArgument('unable to set swap limit without memory limit');
  if (memory < 0) throw invalidArgument(`invalid memory value: ${memory}`);
  if (swap < memory) throw invalidArgument('memory+swap limit should be >= memory limit');
  return swap - memory;
}

function cpuQuotaPeriod(r: Resources): { quota: number; period: number } {
  if ((r.NanoCpus ?? 0) > 0) return { quota: nanoCpusQuota(r.NanoCpus as number), period: NANO_CPUS_PERIOD };
  return { quota: r.CpuQuota ?? 0, period: r.CpuPeriod ?? 0 };
}

/** The file writes that give a cgroup these resources, in order. Zero/absent fields are left alone. */
export function cgroupWrites(version: 1 | 2, r: Resources, opts: PlanOptions = {}): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const put = (file: string, value: number | string) => w.push({ file, value: String(value) });
  const memory = r.Memory ?? 0;
  let swap = r.MemorySwap ?? 0;
  const { quota, period } = cpuQuotaPeriod(r);
  const pids = r.PidsLimit;
  if (version === 1) {
    if (memory === -1 && swap === 0) swap = -1;
    const writeSwap = swap !== 0 && opts.swapAccounting !== false;
    // The kernel wants memory ≤ memory+swap at every step: raise swap first when it grows past the old limit.
    const swapFirst = writeSwap && memory !== 0 && (swap === -1 || (opts.currentMemoryLimit ?? Infinity) < swap);
    if (swapFirst) put('memory.memsw.limit_in_bytes', swap);
    if (memory !== 0) put('memory.limit_in_bytes', memory);
    if (writeSwap && !swapFirst) put('memory.memsw.limit_in_bytes', swap);
    if (r.MemoryReservation) put('memory.soft_limit_in_bytes', r.MemoryReservation);
    if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && r.MemorySwappiness >= 0) put('memory.swappiness', r.MemorySwappiness);
    if (r.OomKillDisable) put('memory.oom_control', 1);
    if ((r.CpuShares ?? 0) > 0) put('cpu.shares', r.CpuShares as number);
    if (period) put('cpu.cfs_period_us', period);
    if (quota) put('cpu.cfs_quota_us', quota);
    if (r.CpusetCpus) put('cpuset.cpus', r.CpusetCpus);
    if (r.CpusetMems) put('cpuset.mems', r.CpusetMems);
    if (pids !== undefined && pids !== null) put('pids.max', pids > 0 ? pids : 'max');
    if ((r.BlkioWeight ?? 0) > 0) put('blkio.weight', r.BlkioWeight as number);
    return w;
  }
  const v2swap = swapToV2(swap, memory);
  if (memory !== 0) put('memory.max', memory === -1 ? 'max' : memory);
  if (v2swap !== 0) put('memory.swap.max', v2swap === -1 ? 'max' : v2swap);
  if (r.MemoryReservation) put('memory.low', r.MemoryReservation);
  if ((r.CpuShares ?? 0) > 0) put('cpu.weight', sharesToWeight(r.CpuShares as number));
  if (quota !== 0 || period !== 0) put('cpu.max', `${quota > 0 ? quota : 'max'}${period ? ` ${period}` : ''}`);
  if (r.CpusetCpus) put('cpuset.cpus', r.CpusetCpus);
  if (r.CpusetMems) put('cpuset.mems', r.CpusetMems);
  if (pids !== undefined && pids !== null) put('pids.max', pids > 0 ? pids : 'max');
  if ((r.BlkioWeight ?? 0) > 0) put('io.weight', `default ${blkioToIoWeight(r.BlkioWeight as number)}`);
  return w;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Writes resources into an existing cgroup (see cgroupWrites). */
export async function applyToCgroup(paths: CgroupPaths, r: Resources): Promise<void> {
  const opts: PlanOptions = {};
  if (paths.version === 1 && paths.dirs.memory) {
    opts.currentMemoryLimit = Number((await readFile(path.join(paths.dirs.memory, 'memory.limit_in_bytes'), 'utf8')).trim());
    opts.swapAccounting = await exists(path.join(paths.dirs.memory, 'memory.memsw.limit_in_bytes'));
  }
  for (const { file, value } of cgroupWrites(paths.version, r, opts)) {
    const dir = fileDir(paths, file);
    if (dir === undefined) throw unavailable(`cgroup controller ${file.slice(0, file.indexOf('.'))} is not available`);
    try {
      await writeFile(path.join(dir, file), value);
    } catch (err) {
      throw unavailable(`cannot write ${value} to cgroup file ${path.join(dir, file)}: ${(err as Error).message}`, err);
    }
  }
}

const dirsOf = (paths: CgroupPaths): string[] => (paths.version === 2 ? [paths.dir] : [...new Set(Object.values(paths.dirs))]);

/**
 * Creates the cgroup at `cgroupPath` (taken from the top of each hierarchy, as runc does) in the given v1
 * controllers (those mounted; all this module knows when absent), or in the v2 tree. New v1 cpuset groups
 * get their parent's cpus and mems, without which no process may join.
 */
export async function createCgroup(cgroupPath: string, opts: ResolveOptions & { controllers?: readonly V1Controller[] } = {}): Promise<CgroupPaths> {
  const mounts = await readCgroupMounts(opts);
  const all = pathsFromCgroupsPath(cgroupPath, mounts);
  let paths: CgroupPaths = all;
  if (all.version === 1 && opts.controllers) {
    const dirs: Partial<Record<V1Controller, string>> = {};
    for (const c of opts.controllers) if (all.dirs[c]) dirs[c] = all.dirs[c];
    paths = { version: 1, dirs };
  }
  for (const dir of dirsOf(paths)) await mkdir(dir, { recursive: true });
  if (paths.version === 1 && paths.dirs.cpuset && mounts.v1.cpuset) {
    const top = mounts.v1.cpuset.mountpoint;
    const parts = path.relative(top, paths.dirs.cpuset).split(path.sep);
    let dir = top;
    for (const part of parts) {
      const parent = dir;
      dir = path.join(dir, part);
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if ((await readFile(path.join(dir, f), 'utf8')).trim() === '') await writeFile(path.join(dir, f), (await readFile(path.join(parent, f), 'utf8')).trim());
      }
    }
  }
  return paths;
}

/** Moves a process (all its threads) into the cgroup. */
export async function addProcess(paths: CgroupPaths, pid: number): Promise<void> {
  for (const dir of dirsOf(paths)) await writeFile(path.join(dir, 'cgroup.procs'), String(pid));
}

/**
 * Removes the cgroup's directories (not their parents). A cgroup that still holds processes is busy:
 * retried for about a second while exiting processes leave, then reported. Missing directories are fine.
 */
export async function removeCgroup(paths: CgroupPaths): Promise<void> {
  const errors: unknown[] = [];
  for (const dir of dirsOf(paths)) {
    for (let attempt = 0; ; attempt++) {
      try {
        await rmdir(dir);
        break;
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'ENOENT') break;
        if (code === 'EBUSY' && attempt < 20) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        errors.push(err);
        break;
      }
    }
  }
  if (errors.length) throw unavailable(`cannot remove cgroup: ${errors.map((e) => (e as Error).message).join('; ')}`, errors[0]);
}
