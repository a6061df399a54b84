/**
 * HostConfig resources → what runc applies, as Docker maps them. Pure.
 *
 * Lifecycle of a container's resources:
 *   create:  checkResources (validate.ts) → adaptResources → stored in HostConfig → ociResources at start
 *   update:  checkResources(body, {update:true}) → mergeUpdate(stored, body) → stored; when running,
 *            `runc update <updateArgs(body)> <id>` applies the body's fields to the live cgroup.
 */
import { conflict, invalidArgument } from '../../core/errors.js';
import type { OciResources } from '../oci/types.js';
import type { Resources } from './types.js';

/** The CFS period Docker uses for NanoCpus (100ms, in microseconds). */
export const NANO_CPUS_PERIOD = 100000;

/** CFS quota (µs per NANO_CPUS_PERIOD) for a NanoCpus value, truncated as Go's integer division does. */
export const nanoCpusQuota = (nanoCpus: number) => Math.trunc((nanoCpus * NANO_CPUS_PERIOD) / 1e9);

/**
 * Docker's create-time normalisation (API router postContainersCreate and daemon adaptContainerSettings):
 * PidsLimit ≤ 0 becomes null (unlimited), a memory limit without swap gets MemorySwap = 2 × Memory, and an
 * unset OomKillDisable becomes false. Run it after checkResources, whose result it takes.
 */
export function adaptResources<T extends Resources>(res: T): T {
  const r: T = { ...res };
  if (r.PidsLimit !== undefined && r.PidsLimit !== null && r.PidsLimit <= 0) r.PidsLimit = null;
  if ((r.Memory ?? 0) > 0 && (r.MemorySwap ?? 0) === 0) r.MemorySwap = (r.Memory as number) * 2;
  if (r.OomKillDisable === undefined || r.OomKillDisable === null) r.OomKillDisable = false;
  return r;
}

/**
 * linux.resources (without devices) as Docker builds it (daemon_unix.go getMemoryResources, getCPUResources,
 * getPidsLimit): zero means "not set"; MemorySwap -1 is left out (the new cgroup is unlimited already);
 * NanoCpus becomes quota/period over 100ms; a PidsLimit ≤ 0 that is set means unlimited (-1).
 */
export function ociResources(r: Resources): OciResources {
  const out: OciResources = {};
  const memory: NonNullable<OciResources['memory']> = {};
  if ((r.Memory ?? 0) > 0) memory.limit = r.Memory;
  if ((r.MemoryReservation ?? 0) > 0) memory.reservation = r.MemoryReservation;
  if ((r.MemorySwap ?? 0) > 0) memory.swap = r.MemorySwap;
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && r.MemorySwappiness >= 0) memory.swappiness = r.MemorySwappiness;
  if (r.OomKillDisable !== undefined && r.OomKillDisable !== null) memory.disableOOMKiller = r.OomKillDisable;
  if (Object.keys(memory).length) out.memory = memory;

  if ((r.CpuShares ?? 0) < 0) throw invalidArgument('shares: invalid argument');
  const cpu: NonNullable<OciResources['cpu']> = {};
  if ((r.CpuShares ?? 0) > 0) cpu.shares = r.CpuShares;
  if (r.CpusetCpus) cpu.cpus = r.CpusetCpus;
  if (r.CpusetMems) cpu.mems = r.CpusetMems;
  if ((r.NanoCpus ?? 0) > 0) {
    cpu.period = NANO_CPUS_PERIOD;
    cpu.quota = nanoCpusQuota(r.NanoCpus as number);
  }
  if (r.CpuPeriod) cpu.period = r.CpuPeriod;
  if (r.CpuQuota) cpu.quota = r.CpuQuota;
  if (Object.keys(cpu).length) out.cpu = cpu;

  if (r.PidsLimit !== undefined && r.PidsLimit !== null) out.pids = { limit: r.PidsLimit > 0 ? r.PidsLimit : -1 };
  if ((r.BlkioWeight ?? 0) > 0) out.blockIO = { weight: r.BlkioWeight };
  return out;
}

/**
 * Docker's Container.UpdateContainer: the stored resources after a `docker update` body. Non-zero fields
 * of the body replace the stored ones. Throws Conflict with Docker's texts; Docker prefixes them with
 * "Cannot update container <id>: ", which is the caller's to add.
 */
export function mergeUpdate(current: Resources, update: Resources): Resources {
  const c = current;
  const u = update;
  const pos = (v: number | undefined | null) => (v ?? 0) > 0;
  if (pos(u.NanoCpus) && pos(c.CpuPeriod)) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (pos(u.NanoCpus) && pos(c.CpuQuota)) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if (pos(u.CpuPeriod) && pos(c.NanoCpus)) throw conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (pos(u.CpuQuota) && pos(c.NanoCpus)) throw conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');

  const out: Resources = { ...current };
  if (u.BlkioWeight) out.BlkioWeight = u.BlkioWeight;
  if (u.CpuShares) out.CpuShares = u.CpuShares;
  if (u.NanoCpus) out.NanoCpus = u.NanoCpus;
  if (u.CpuPeriod) out.CpuPeriod = u.CpuPeriod;
  if (u.CpuQuota) out.CpuQuota = u.CpuQuota;
  if (u.CpusetCpus) out.CpusetCpus = u.CpusetCpus;
  if (u.CpusetMems) out.CpusetMems = u.CpusetMems;
  if (u.Memory) {
    // Docker compares with the stored MemorySwap as is: also 0 (never set) and -1 (unlimited) fail here.
    if (u.Memory > (c.MemorySwap ?? 0) && !u.MemorySwap) {
      throw conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    out.Memory = u.Memory;
  }
  if (u.MemorySwap) out.MemorySwap = u.MemorySwap;
  if (u.MemoryReservation) out.MemoryReservation = u.MemoryReservation;
  // The update router turns any PidsLimit ≤ 0 into 0 ("unlimited").
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) out.PidsLimit = Math.max(0, u.PidsLimit);
  return out;
}

/**
 * The `runc update` flags for a `docker update` body (the fields Docker hands to the runtime, see
 * daemon/update_linux.go toContainerdResources): only non-zero fields are passed, so runc keeps the rest.
 * NanoCpus becomes quota/period; PidsLimit ≤ 0 becomes -1 (runc: unlimited); MemorySwap -1 is passed as
 * unlimited (Docker drops it, leaving the old swap limit in place while inspect says -1).
 * Use as `runc update ...updateArgs(body) <id>`; empty when nothing is to change.
 */
export function updateArgs(u: Resources): string[] {
  const args: string[] = [];
  const flag = (name: string, v: number | string) => args.push(`--${name}=${v}`);
  if (u.BlkioWeight) flag('blkio-weight', u.BlkioWeight);
  if ((u.CpuShares ?? 0) > 0) flag('cpu-share', u.CpuShares as number);
  if ((u.NanoCpus ?? 0) > 0) {
    flag('cpu-period', NANO_CPUS_PERIOD);
    flag('cpu-quota', nanoCpusQuota(u.NanoCpus as number));
  } else {
    if ((u.CpuPeriod ?? 0) > 0) flag('cpu-period', u.CpuPeriod as number);
    if (u.CpuQuota) flag('cpu-quota', u.CpuQuota);
  }
  if (u.CpusetCpus) flag('cpuset-cpus', u.CpusetCpus);
  if (u.CpusetMems) flag('cpuset-mems', u.CpusetMems);
  if (u.Memory) flag('memory', u.Memory);
  if (u.MemorySwap) flag('memory-swap', u.MemorySwap > 0 ? u.MemorySwap : -1);
  if (u.MemoryReservation) flag('memory-reservation', u.MemoryReservation);
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) flag('pids-limit', u.PidsLimit > 0 ? u.PidsLimit : -1);
  return args;
}
