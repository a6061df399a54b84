/**
 * Types of the cgroups module. Glossary:
 *   - hierarchy: one mounted cgroup tree. cgroup v1 has one per controller (or per co-mounted group such
 *     as "cpu,cpuacct"); v2 has a single unified one.
 *   - cgroup path: a path inside a hierarchy ("/berth/<id>"), as in /proc/<pid>/cgroup or OCI cgroupsPath.
 *   - cgroup directory: where a cgroup path lives on the host (mountpoint + path relative to the mount root).
 */
import type { ResourcesSpec, UlimitSpec } from '../oci/types.js';

/** HostConfig resources as Docker's API carries them (HostConfig is assignable to this). */
export interface Resources extends ResourcesSpec {
  Ulimits?: readonly UlimitSpec[] | null;
}

/**
 * What the host offers, as Docker's sysinfo reports it. Feature flags that are absent mean "supported";
 * a false flag makes validation discard the setting with Docker's warning.
 */
export interface HostInfo {
  /** CPUs this process may run on (Docker's sysinfo.NumCPU: the sched_getaffinity count). */
  cpus: number;
  /** The CPUs of the root cpuset ("0-1"): v1 cpuset.cpus, v2 cpuset.cpus.effective. */
  onlineCpus: string;
  /** The memory nodes of the root cpuset ("0"). */
  onlineMems: string;
  memoryLimit?: boolean;
  swapLimit?: boolean;
  memoryReservation?: boolean;
  memorySwappiness?: boolean;
  oomKillDisable?: boolean;
  pidsLimit?: boolean;
  cpuShares?: boolean;
  /** CFS bandwidth control (cpu.cfs_quota_us / cpu.max): NanoCpus, CpuPeriod, CpuQuota. */
  cpuCfs?: boolean;
  cpuset?: boolean;
  blkioWeight?: boolean;
}

/** The v1 controllers this module reads or writes. */
export type V1Controller = 'memory' | 'cpu' | 'cpuacct' | 'cpuset' | 'pids' | 'blkio' | 'devices' | 'freezer';
export const V1_CONTROLLERS: readonly V1Controller[] = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'devices', 'freezer'];

/** Where one cgroup lives on the host: one directory per v1 controller, or the one v2 directory. */
export type CgroupPaths =
  | { version: 1; dirs: Partial<Record<V1Controller, string>> }
  | { version: 2; dir: string };

// Docker's stats JSON is a wire type: src/api/stats.ts
export type { BlkioStatEntry, BlkioStats, CpuUsage, ThrottlingData, CpuStats, MemoryStats, PidsStats, NetworkStats, ContainerStats } from '../../api/stats.js';
