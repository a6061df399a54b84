/**
 * cgroups: Docker's resource rules and stats on cgroup v1 and v2, behind one API.
 *
 * Lifecycle of a container's cgroup (runc's cgroupfs driver creates and removes it):
 *   1. create:  checkResources(body, readHostInfo()) → adaptResources → stored HostConfig
 *   2. start:   ociResources(stored) → config.json linux.resources; cgroupsPath "/<parent>/<id>"
 *   3. running: resolveCgroup(pid or cgroupsPath) → readStats (stats.ts explains docker stats' math);
 *               docker update: checkResources(body, host, {update:true}) → mergeUpdate → runc update updateArgs(body)
 *   4. exited:  oomKilled(paths) for State.OOMKilled, before `runc delete` removes the cgroup.
 * Pure: validate.ts, resources.ts, stats.ts, paths.ts parsers, apply.ts cgroupWrites. I/O: collect.ts,
 * host.ts, paths.ts resolveCgroup, apply.ts executors.
 */
export type {
  Resources, HostInfo, CgroupPaths, V1Controller, ContainerStats, CpuStats, CpuUsage, MemoryStats, PidsStats,
  BlkioStats, BlkioStatEntry, ThrottlingData, NetworkStats,
} from './types.js';
export { V1_CONTROLLERS } from './types.js';
export { checkResources, validateResources, parseCpuList, isCpusetListAvailable, LINUX_MIN_MEMORY, ULIMIT_NAMES } from './validate.js';
export type { CheckOptions, CheckResult } from './validate.js';
export { adaptResources, ociResources, mergeUpdate, updateArgs, nanoCpusQuota, NANO_CPUS_PERIOD } from './resources.js';
export {
  statsFromV1, statsFromV2, emptyStats, withPrevious, parseProcStat, parseKeyValues, parseLimit, parseBlkioV1,
  parseIoStatV2, oomKillCount, V1_MEMORY_KEYS, V2_MEMORY_KEYS, V1_STAT_FILES, V2_STAT_FILES, ZERO_TIME,
} from './stats.js';
export type { CgroupFiles, SampleContext } from './stats.js';
export { readStats, oomKilled, readCgroupFiles, fileDir } from './collect.js';
export type { ReadStatsOptions } from './collect.js';
export {
  parseMountinfo, parseProcCgroup, cgroupMounts, pathsFromProcCgroup, pathsFromCgroupsPath, readCgroupMounts, resolveCgroup,
} from './paths.js';
export type { MountInfo, CgroupMounts, CgroupHierarchy, ProcCgroupEntry, ResolveOptions } from './paths.js';
export { readHostInfo, hostInfoFrom } from './host.js';
export type { HostProbe } from './host.js';
export {
  cgroupWrites, applyToCgroup, createCgroup, addProcess, removeCgroup, sharesToWeight, blkioToIoWeight, swapToV2,
} from './apply.js';
export type { CgroupWrite, PlanOptions } from './apply.js';
