/**
 * Docker's stats JSON from the text of cgroup files: pure. Field by field as moby's daemon/stats_unix.go
 * (statsV1 / statsV2) fills it from containerd's cgroup metrics, and daemon/stats/collector.go adds
 * system_cpu_usage and online_cpus from /proc/stat. collect.ts reads the files.
 *
 * What `docker stats` (docker/cli cli/command/container/stats_helpers.go) computes from this JSON:
 *   CPU %    = (cpu_stats.cpu_usage.total_usage - precpu_stats.cpu_usage.total_usage)
 *              / (cpu_stats.system_cpu_usage - precpu_stats.system_cpu_usage)
 *              * online_cpus (or, when 0, the length of percpu_usage) * 100
 *              — 0 unless both deltas are positive: the stream must carry precpu_stats (withPrevious) and
 *              system_cpu_usage must be in the same unit as total_usage (nanoseconds).
 *   MEM USAGE = memory_stats.usage - stats.total_inactive_file (v1: key present) or - stats.inactive_file
 *              (v2), when smaller than usage; otherwise usage. Docker ≤ 19.03 clients subtract stats.cache.
 *   MEM %    = that / memory_stats.limit * 100 (limit is the host's memory when the cgroup has no limit).
 *   BLOCK I/O = sums of blkio_stats.io_service_bytes_recursive entries whose op starts with r/R and w/W.
 *   NET I/O  = sums of networks.*.rx_bytes / tx_bytes (filled by the caller).
 *   PIDS     = pids_stats.current.
 */
import type { BlkioStatEntry, BlkioStats, ContainerStats, CpuStats, MemoryStats } from './types.js';

/** Contents of the cgroup files that exist, by file name ("memory.stat", "cpu.stat", ...). */
export type CgroupFiles = Readonly<Record<string, string>>;

export interface SampleContext {
  /** RFC 3339 time of the sample. */
  read: string;
  /** Host CPU time in nanoseconds and online CPU count, from parseProcStat. */
  systemCpuUsage: number;
  onlineCpus: number;
  /** Host memory in bytes: the reported limit when the cgroup's is higher (unlimited). */
  machineMemory: number;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Docker clocks /proc/stat and cpuacct.stat ticks at a fixed USER_HZ of 100. */
const CLOCK_TICKS = 100;
const NS_PER_TICK = 1e9 / CLOCK_TICKS;

/** The v1 memory.stat keys Docker reports, always all of them (0 when the kernel lacks one). */
export const V1_MEMORY_KEYS: readonly string[] = [
  'cache', 'rss', 'rss_huge', 'mapped_file', 'dirty', 'writeback', 'pgpgin', 'pgpgout', 'pgfault', 'pgmajfault',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'hierarchical_memory_limit',
  'hierarchical_memsw_limit', 'total_cache', 'total_rss', 'total_rss_huge', 'total_mapped_file', 'total_dirty',
  'total_writeback', 'total_pgpgin', 'total_pgpgout', 'total_pgfault', 'total_pgmajfault', 'total_inactive_anon',
  'total_active_anon', 'total_inactive_file', 'total_active_file', 'total_unevictable',
];

/** The v2 memory.stat keys Docker reports (named as the kernel names them). */
export const V2_MEMORY_KEYS: readonly string[] = [
  'anon', 'file', 'kernel_stack', 'slab', 'sock', 'shmem', 'file_mapped', 'file_dirty', 'file_writeback', 'anon_thp',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'slab_reclaimable', 'slab_unreclaimable',
  'pgfault', 'pgmajfault', 'workingset_refault', 'workingset_activate', 'workingset_nodereclaim', 'pgrefill', 'pgscan',
  'pgsteal', 'pgactivate', 'pgdeactivate', 'pglazyfree', 'pglazyfreed', 'thp_fault_alloc', 'thp_collapse_alloc',
];

/** v1 blkio files (CFQ first, as containerd reads them) and the stats field each fills. */
const V1_BLKIO_CFQ: readonly [string, keyof BlkioStats][] = [
  ['blkio.sectors_recursive', 'sectors_recursive'],
  ['blkio.io_service_bytes_recursive', 'io_service_bytes_recursive'],
  ['blkio.io_serviced_recursive', 'io_serviced_recursive'],
  ['blkio.io_queued_recursive', 'io_queue_recursive'],
  ['blkio.io_service_time_recursive', 'io_service_time_recursive'],
  ['blkio.io_wait_time_recursive', 'io_wait_time_recursive'],
  ['blkio.io_merged_recursive', 'io_merged_recursive'],
  ['blkio.time_recursive', 'io_time_recursive'],
];
const V1_BLKIO_THROTTLE: readonly [string, keyof BlkioStats][] = [
  ['blkio.throttle.io_serviced_recursive', 'io_serviced_recursive'],
  ['blkio.throttle.io_service_bytes_recursive', 'io_service_bytes_recursive'],
];

/** The files statsFromV1 / statsFromV2 use, by version (collect.ts reads those that exist). */
export const V1_STAT_FILES: readonly string[] = [
  'memory.usage_in_bytes', 'memory.max_usage_in_bytes', 'memory.limit_in_bytes', 'memory.failcnt', 'memory.stat',
  'cpuacct.usage', 'cpuacct.usage_percpu', 'cpuacct.stat', 'cpu.stat', 'pids.current', 'pids.max',
  ...V1_BLKIO_CFQ.map(([f]) => f), ...V1_BLKIO_THROTTLE.map(([f]) => f),
];
export const V2_STAT_FILES: readonly string[] = [
  'memory.current', 'memory.max', 'memory.stat', 'memory.events', 'cpu.stat', 'pids.current', 'pids.max', 'io.stat',
];

const num = (s: string | undefined) => {
  const n = Number((s ?? '').trim());
  return Number.isFinite(n) ? n : 0;
};

/** "key value" lines (memory.stat, cpu.stat, cpuacct.stat, memory.events, memory.oom_control). */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out.set(k, num(v));
  }
  return out;
}

/** A limit file: a number, or "max" (v2, pids.max) for none: returned as null. */
export function parseLimit(text: string): number | null {
  const t = text.trim();
  return t === 'max' || t === '' ? null : num(t);
}

/** v1 blkio lines: "8:0 Read 4096" (or "8:0 4096" for time/sectors); the "Total N" line is skipped. */
export function parseBlkioV1(text: string): BlkioStatEntry[] {
  const out: BlkioStatEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/[\s:]+/).filter(Boolean);
    if (f.length < 3) continue;
    const [major, minor] = [num(f[0]), num(f[1])];
    out.push(f.length >= 4 ? { major, minor, op: f[2] as string, value: num(f[3]) } : { major, minor, op: '', value: num(f[2]) });
  }
  return out;
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 ..." → Docker's read/write byte entries per device. */
export function parseIoStatV2(text: string): BlkioStatEntry[] {
  const out: BlkioStatEntry[] = [];
  for (const line of text.split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = new Map(kvs.map((s) => s.split('=') as [string, string]));
    const [major, minor] = [Number(m[1]), Number(m[2])];
    out.push({ major, minor, op: 'read', value: num(kv.get('rbytes')) }, { major, minor, op: 'write', value: num(kv.get('wbytes')) });
  }
  return out;
}

/**
 * /proc/stat as Docker reads it (getSystemCPUUsage): the first seven fields of the "cpu " line summed, in
 * nanoseconds; online CPUs = the number of "cpuN" lines.
 */
export function parseProcStat(text: string): { systemCpuUsage: number; onlineCpus: number } {
  let systemCpuUsage = 0;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    if (line.length < 4 || !line.startsWith('cpu')) break;
    if (line[3] === ' ') {
      const f = line.split(/\s+/).slice(1, 8);
      if (f.length < 7) throw new Error('invalid number of cpu fields');
      systemCpuUsage = f.reduce((a, v) => a + num(v), 0) * NS_PER_TICK;
    } else if (line[3] !== undefined && line[3] >= '0' && line[3] <= '9') {
      onlineCpus++;
    }
  }
  return { systemCpuUsage, onlineCpus };
}

/** The "oom_kill N" count of v1 memory.oom_control or v2 memory.events (0 when the kernel lacks it). */
export function oomKillCount(text: string): number {
  return parseKeyValues(text).get('oom_kill') ?? 0;
}

const emptyCpu = (): CpuStats => ({
  cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
  throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
});

const nullBlkio = (): BlkioStats => ({
  io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
  io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
});

/** The stats of a container that is not running: Docker's zero value. */
export function emptyStats(): ContainerStats {
  return {
    read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {}, blkio_stats: nullBlkio(), num_procs: 0, storage_stats: {},
    cpu_stats: emptyCpu(), precpu_stats: emptyCpu(), memory_stats: {},
  };
}

/** A sample with the previous one's time and CPU figures, as Docker streams them (needed for CPU %). */
export function withPrevious(cur: ContainerStats, prev: ContainerStats | undefined): ContainerStats {
  return { ...cur, preread: prev ? prev.read : ZERO_TIME, precpu_stats: prev ? prev.cpu_stats : emptyCpu() };
}

/** Drops zero fields, as Go's omitempty on MemoryStats does. */
function memoryStats(m: { usage: number; max_usage?: number; stats: Record<string, number>; failcnt: number; limit: number | null }, machine: number): MemoryStats {
  let limit = m.limit ?? Number.MAX_VALUE;
  if (limit > machine && machine > 0) limit = machine;
  const out: MemoryStats = {};
  if (m.usage) out.usage = m.usage;
  if (m.max_usage) out.max_usage = m.max_usage;
  out.stats = m.stats;
  if (m.failcnt) out.failcnt = m.failcnt;
  if (limit && limit !== Number.MAX_VALUE) out.limit = limit;
  return out;
}

function pick(kv: Map<string, number>, keys: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = kv.get(k) ?? 0;
  return out;
}

function pidsStats(f: CgroupFiles): ContainerStats['pids_stats'] {
  const out: ContainerStats['pids_stats'] = {};
  const current = num(f['pids.current']);
  const limit = f['pids.max'] === undefined ? null : parseLimit(f['pids.max']);
  if (current) out.current = current;
  if (limit) out.limit = limit;
  return out;
}

function withSystem(s: ContainerStats, ctx: SampleContext): void {
  if (ctx.systemCpuUsage) s.cpu_stats.system_cpu_usage = ctx.systemCpuUsage;
  if (ctx.onlineCpus) s.cpu_stats.online_cpus = ctx.onlineCpus;
}

/** Docker's stats from a cgroup v1 container's files (statsV1). */
export function statsFromV1(f: CgroupFiles, ctx: SampleContext): ContainerStats {
  const s = emptyStats();
  s.read = ctx.read;
  if (Object.keys(f).some((k) => k.startsWith('blkio.'))) {
    const b = s.blkio_stats;
    for (const [, key] of V1_BLKIO_CFQ) b[key] = [];
    let size = 0;
    if (f['blkio.io_serviced_recursive'] !== undefined) {
      for (const [file, key] of V1_BLKIO_CFQ) {
        b[key] = parseBlkioV1(f[file] ?? '');
        size += b[key]?.length ?? 0;
      }
    }
    if (size === 0) for (const [file, key] of V1_BLKIO_THROTTLE) b[key] = parseBlkioV1(f[file] ?? '');
  }
  if (f['cpuacct.usage'] !== undefined) {
    const stat = parseKeyValues(f['cpuacct.stat'] ?? '');
    const percpu = (f['cpuacct.usage_percpu'] ?? '').trim().split(/\s+/).filter(Boolean).map(num);
    s.cpu_stats.cpu_usage = {
      total_usage: num(f['cpuacct.usage']),
      ...(percpu.length ? { percpu_usage: percpu } : {}),
      usage_in_kernelmode: (stat.get('system') ?? 0) * NS_PER_TICK,
      usage_in_usermode: (stat.get('user') ?? 0) * NS_PER_TICK,
    };
    const cpu = parseKeyValues(f['cpu.stat'] ?? '');
    s.cpu_stats.throttling_data = {
      periods: cpu.get('nr_periods') ?? 0, throttled_periods: cpu.get('nr_throttled') ?? 0, throttled_time: cpu.get('throttled_time') ?? 0,
    };
  }
  withSystem(s, ctx);
  if (f['memory.usage_in_bytes'] !== undefined || f['memory.stat'] !== undefined) {
    s.memory_stats = memoryStats({
      usage: num(f['memory.usage_in_bytes']),
      max_usage: num(f['memory.max_usage_in_bytes']),
      stats: pick(parseKeyValues(f['memory.stat'] ?? ''), V1_MEMORY_KEYS),
      failcnt: num(f['memory.failcnt']),
      limit: f['memory.limit_in_bytes'] === undefined ? null : num(f['memory.limit_in_bytes']),
    }, ctx.machineMemory);
  }
  if (f['pids.current'] !== undefined) s.pids_stats = pidsStats(f);
  return s;
}

/** Docker's stats from a cgroup v2 container's files (statsV2): no percpu_usage, max_usage. */
export function statsFromV2(f: CgroupFiles, ctx: SampleContext): ContainerStats {
  const s = emptyStats();
  s.read = ctx.read;
  if (f['io.stat'] !== undefined) {
    const entries = parseIoStatV2(f['io.stat']);
    s.blkio_stats.io_service_bytes_recursive = entries.length ? entries : null;
  }
  if (f['cpu.stat'] !== undefined) {
    const cpu = parseKeyValues(f['cpu.stat']);
    const us = (k: string) => (cpu.get(k) ?? 0) * 1000;
    s.cpu_stats.cpu_usage = { total_usage: us('usage_usec'), usage_in_kernelmode: us('system_usec'), usage_in_usermode: us('user_usec') };
    s.cpu_stats.throttling_data = { periods: cpu.get('nr_periods') ?? 0, throttled_periods: cpu.get('nr_throttled') ?? 0, throttled_time: us('throttled_usec') };
  }
  withSystem(s, ctx);
  if (f['memory.current'] !== undefined || f['memory.stat'] !== undefined) {
    const events = parseKeyValues(f['memory.events'] ?? '');
    s.memory_stats = memoryStats({
      usage: num(f['memory.current']),
      stats: pick(parseKeyValues(f['memory.stat'] ?? ''), V2_MEMORY_KEYS),
      failcnt: events.get('oom') ?? 0,
      limit: f['memory.max'] === undefined ? null : parseLimit(f['memory.max']),
    }, ctx.machineMemory);
  }
  if (f['pids.current'] !== undefined) s.pids_stats = pidsStats(f);
  return s;
}
