/**
 * Docker's validation of HostConfig resources (moby daemon/daemon_unix.go verifyPlatformContainerResources,
 * pkg/sysinfo isCpusetListAvailable, go-units ParseUlimit), with Docker's exact error texts: clients and
 * tests match on them. Pure: the host's capabilities come in as a HostInfo.
 *
 * Order matters and follows Docker's: the first failing rule decides the message. Settings the host cannot
 * apply are discarded with Docker's warning instead of failing (returned in `warnings`).
 */
import { invalidArgument } from '../../core/errors.js';
import type { HostInfo, Resources } from './types.js';

/** Docker's minimum memory limit (linuxMinMemory): 6 MiB. */
export const LINUX_MIN_MEMORY = 6291456;

/** The rlimit names Docker accepts (go-units ulimitNameMapping). */
export const ULIMIT_NAMES: ReadonlySet<string> = new Set([
  'as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio',
  'rttime', 'sigpending', 'stack',
]);

/** Linux's usual maximum number of CPUs: the bound Docker puts on cpuset lists (CVE-2018-20699). */
const DEFAULT_MAX_CPUS = 8192;

/** Go's strconv.Atoi on a decimal string (sign allowed, int64 range), or null. */
function atoi(s: string): number | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  const n = BigInt(s);
  return n > 9223372036854775807n || n < -9223372036854775808n ? null : Number(n);
}

/**
 * A cpuset list ("0-3,7", "1,2") as a set of numbers: Docker's parseUintList. Throws a plain Error with
 * Docker's text ("invalid format: x", "value of out range, maximum is N"); `maximum` 0 means unbounded.
 */
export function parseCpuList(val: string, maximum = 0): Set<number> {
  const out = new Set<number>();
  if (val === '') return out;
  const invalid = () => new Error(`invalid format: ${val}`);
  const outOfRange = () => new Error(`value of out range, maximum is ${maximum}`);
  for (const r of val.split(',')) {
    const dash = r.indexOf('-');
    if (dash < 0) {
      const v = atoi(r);
      if (v === null) throw invalid();
      if (maximum !== 0 && v > maximum) throw outOfRange();
      out.add(v);
      continue;
    }
    const lo = atoi(r.slice(0, dash));
    const hi = atoi(r.slice(dash + 1));
    if (lo === null || hi === null || hi < lo) throw invalid();
    if (maximum !== 0 && hi > maximum) throw outOfRange();
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

/** Whether every CPU (or memory node) of `requested` is in `available`; throws on a malformed list. */
export function isCpusetListAvailable(requested: string, available: string): boolean {
  const have = parseCpuList(available);
  let max = DEFAULT_MAX_CPUS;
  for (const n of have) if (n > max) max = n;
  for (const n of parseCpuList(requested, max)) if (!have.has(n)) return false;
  return true;
}

export interface CheckOptions {
  /** Validating a `docker update` body: a swap limit without a memory limit is then allowed. */
  update?: boolean;
}

export interface CheckResult {
  /** Docker's warnings for settings the host cannot apply. */
  warnings: string[];
  /** The resources with those settings discarded (a copy; the input is not changed). */
  resources: Resources;
}

const supported = (flag: boolean | undefined) => flag !== false;

/**
 * Docker's verifyPlatformContainerResources. Throws InvalidArgument with Docker's message on the first
 * rule that fails; otherwise returns the warnings and the resources with unsupported settings dropped.
 */
export function checkResources(input: Resources, host: HostInfo, opts: CheckOptions = {}): CheckResult {
  const r: Resources = { ...input };
  const warnings: string[] = [];
  const fail = (msg: string) => invalidArgument(msg);
  const memory = r.Memory ?? 0;
  // fixMemorySwappiness: -1 means "not set"
  if (r.MemorySwappiness === -1) r.MemorySwappiness = null;

  // memory
  if (memory !== 0 && memory < LINUX_MIN_MEMORY) throw fail('Minimum memory limit allowed is 6MB');
  if ((r.Memory ?? 0) > 0 && !supported(host.memoryLimit)) {
    warnings.push('Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.Memory = 0;
    r.MemorySwap = -1;
  }
  if ((r.Memory ?? 0) > 0 && r.MemorySwap !== -1 && !supported(host.swapLimit)) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    r.MemorySwap = -1;
  }
  const mem = r.Memory ?? 0;
  const swap = r.MemorySwap ?? 0;
  if (mem > 0 && swap > 0 && swap < mem) throw fail('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (mem === 0 && swap > 0 && !opts.update) throw fail('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && !supported(host.memorySwappiness)) {
    warnings.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
    r.MemorySwappiness = null;
  }
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && (r.MemorySwappiness < 0 || r.MemorySwappiness > 100)) {
    throw fail(`Invalid value: ${r.MemorySwappiness}, valid memory swappiness range is 0-100`);
  }
  if ((r.MemoryReservation ?? 0) > 0 && !supported(host.memoryReservation)) {
    warnings.push('Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.MemoryReservation = 0;
  }
  const reservation = r.MemoryReservation ?? 0;
  if (reservation > 0 && reservation < LINUX_MIN_MEMORY) throw fail('Minimum memory reservation allowed is 6MB');
  if (mem > 0 && reservation > 0 && mem < reservation) {
    throw fail('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (r.OomKillDisable !== undefined && r.OomKillDisable !== null && !supported(host.oomKillDisable)) {
    if (r.OomKillDisable) warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    r.OomKillDisable = null;
  }
  if (r.OomKillDisable && mem === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (r.PidsLimit !== undefined && r.PidsLimit !== null && !supported(host.pidsLimit)) {
    if (r.PidsLimit > 0) warnings.push('Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.');
    r.PidsLimit = null;
  }

  // cpu
  const nano = r.NanoCpus ?? 0;
  if (nano > 0 && (r.CpuPeriod ?? 0) > 0) throw fail('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (r.CpuQuota ?? 0) > 0) throw fail('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano > 0 && !supported(host.cpuCfs)) {
    throw fail('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
  }
  if (nano < 0 || nano > host.cpus * 1e9) {
    throw fail(`Range of CPUs is from 0.01 to ${host.cpus}.00, as there are only ${host.cpus} CPUs available`);
  }
  // Docker rejects negative shares when it builds the spec (getCPUResources); rejected here at once.
  if ((r.CpuShares ?? 0) < 0) throw fail('shares: invalid argument');
  if ((r.CpuShares ?? 0) > 0 && !supported(host.cpuShares)) {
    warnings.push('Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.');
    r.CpuShares = 0;
  }
  if (((r.CpuPeriod ?? 0) !== 0 || (r.CpuQuota ?? 0) !== 0) && !supported(host.cpuCfs)) {
    warnings.push('Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.');
    r.CpuPeriod = 0;
    r.CpuQuota = 0;
  }
  const period = r.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    throw fail('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  const quota = r.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw fail('CPU cfs quota can not be less than 1ms (i.e. 1000)');

  // cpuset
  if ((r.CpusetCpus || r.CpusetMems) && !supported(host.cpuset)) {
    warnings.push('Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.');
    r.CpusetCpus = '';
    r.CpusetMems = '';
  }
  const cpus = r.CpusetCpus ?? '';
  let ok: boolean;
  try {
    ok = isCpusetListAvailable(cpus, host.onlineCpus);
  } catch (err) {
    throw fail(`Invalid value ${cpus} for cpuset cpus: ${(err as Error).message}`);
  }
  if (!ok) throw fail(`Requested CPUs are not available - requested ${cpus}, available: ${host.onlineCpus}`);
  const mems = r.CpusetMems ?? '';
  try {
    ok = isCpusetListAvailable(mems, host.onlineMems);
  } catch (err) {
    throw fail(`Invalid value ${mems} for cpuset mems: ${(err as Error).message}`);
  }
  if (!ok) throw fail(`Requested memory nodes are not available - requested ${mems}, available: ${host.onlineMems}`);

  // blkio
  if ((r.BlkioWeight ?? 0) > 0 && !supported(host.blkioWeight)) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    r.BlkioWeight = 0;
  }
  const weight = r.BlkioWeight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000)) throw fail('Range of blkio weight is from 10 to 1000');

  // ulimits (go-units ParseUlimit texts; Docker's CLI applies them, the daemon would fail later in runc)
  for (const u of r.Ulimits ?? []) {
    // The daemon upper-cases the name into RLIMIT_*, so case does not matter on the API
    if (!ULIMIT_NAMES.has(u.Name.toLowerCase())) throw fail(`invalid ulimit type: ${u.Name}`);
    if (u.Soft > u.Hard) throw fail(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  }
  return { warnings, resources: r };
}

/** Docker's resource validation: throws InvalidArgument with Docker's text; returns Docker's warnings. */
export function validateResources(res: Resources, host: HostInfo, opts: CheckOptions = {}): string[] {
  return checkResources(res, host, opts).warnings;
}
