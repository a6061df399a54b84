/**
 * `stats` rows as the docker CLI computes and prints them (cli/command/container/stats_helpers.go and
 * formatter_stats.go): CPU % from the delta to precpu_stats, memory without the inactive file cache,
 * network and block I/O summed, and the table columns CONTAINER ID, NAME, CPU %, MEM USAGE / LIMIT,
 * MEM %, NET I/O, BLOCK I/O, PIDS.
 */
import type { ContainerStats, CpuStats } from '../../api/stats.js';
import { bytesSize, humanSizeWithPrecision, truncateId } from './humanize.js';
import type { FormatSpec } from './template.js';

/** One container's figures; `invalid` when no sample came (printed as "--"). */
export interface StatsEntry {
  /** the name or id the user gave, or the id of a listed container */
  container: string;
  name: string;
  id: string;
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pidsCurrent: number;
  invalid: boolean;
}

export function emptyEntry(container: string): StatsEntry {
  return {
    container, name: '', id: '', cpuPercentage: 0, memory: 0, memoryLimit: 0, memoryPercentage: 0,
    networkRx: 0, networkTx: 0, blockRead: 0, blockWrite: 0, pidsCurrent: 0, invalid: false,
  };
}

/** The sample as the stats endpoint sends it (fields may be missing: the daemon omits zeros). */
export type StatsSample = Partial<ContainerStats>;

export function cpuPercent(pre: Partial<CpuStats> | undefined, cur: Partial<CpuStats> | undefined): number {
  const cpuDelta = (cur?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cur?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  const online = cur?.online_cpus || cur?.cpu_usage?.percpu_usage?.length || 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** Usage without the inactive file cache: total_inactive_file on cgroup v1, inactive_file on v2. */
export function memUsageNoCache(mem: StatsSample['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const v1 = mem?.stats?.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = mem?.stats?.inactive_file ?? 0;
  return v2 < usage ? usage - v2 : usage;
}

export function blockIO(blkio: StatsSample['blkio_stats']): [read: number, write: number] {
  let read = 0;
  let write = 0;
  for (const e of blkio?.io_service_bytes_recursive ?? []) {
    const op = (e.op ?? '')[0];
    if (op === 'r' || op === 'R') read += e.value;
    else if (op === 'w' || op === 'W') write += e.value;
  }
  return [read, write];
}

/** A sample's figures, as the docker CLI's collect() fills a StatsEntry. */
export function entryFromSample(container: string, s: StatsSample): StatsEntry {
  const memory = memUsageNoCache(s.memory_stats);
  const limit = s.memory_stats?.limit ?? 0;
  const [blockRead, blockWrite] = blockIO(s.blkio_stats);
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  return {
    container, name: s.name ?? '', id: s.id ?? '', cpuPercentage: cpuPercent(s.precpu_stats, s.cpu_stats), memory, memoryLimit: limit,
    memoryPercentage: limit !== 0 ? (memory / limit) * 100 : 0, networkRx: rx, networkTx: tx, blockRead, blockWrite,
    pidsCurrent: s.pids_stats?.current ?? 0, invalid: false,
  };
}

export const STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

export const STATS_HEADERS: Record<string, string> = {
  Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
  NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

const pct = (n: number) => `${n.toFixed(2)}%`;
const io = (a: number, b: number) => `${humanSizeWithPrecision(a, 3)} / ${humanSizeWithPrecision(b, 3)}`;

/** The values a `--format` template sees for one entry (docker's statsContext). */
export function statsContext(e: StatsEntry, trunc: boolean): Record<string, string> {
  return {
    Container: e.container,
    ID: trunc ? truncateId(e.id) : e.id,
    Name: e.name.length > 1 ? e.name.slice(1) : '--',
    CPUPerc: e.invalid ? '--' : pct(e.cpuPercentage),
    MemUsage: e.invalid ? '-- / --' : `${bytesSize(e.memory)} / ${bytesSize(e.memoryLimit)}`,
    MemPerc: e.invalid ? '--' : pct(e.memoryPercentage),
    NetIO: e.invalid ? '--' : io(e.networkRx, e.networkTx),
    BlockIO: e.invalid ? '--' : io(e.blockRead, e.blockWrite),
    PIDs: e.invalid ? '--' : String(e.pidsCurrent),
  };
}

export function statsSpec(trunc: boolean): FormatSpec<StatsEntry> {
  return { headers: STATS_HEADERS, context: (e) => statsContext(e, trunc) };
}

/** The format to render with: docker's table unless the user gave one ("table" alone is the default table). */
export function statsFormat(format: string | undefined): string {
  return !format || format === 'table' ? STATS_TABLE : format;
}
