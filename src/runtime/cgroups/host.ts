/**
 * What the host's cgroups offer, probed like Docker's pkg/sysinfo: v1 by the files in each controller's
 * top directory, v2 by the controllers enabled at the top of the unified tree. hostInfoFrom is the pure
 * part; readHostInfo does the probing.
 */
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readCgroupMounts, type CgroupMounts, type ResolveOptions } from './paths.js';
import type { HostInfo } from './types.js';

export interface HostProbe {
  cpus: number;
  /** v1: which files exist, by path relative to the cgroup root ("memory/memory.memsw.limit_in_bytes"). */
  has: (controllerFile: string) => boolean;
  /** v2: cgroup.controllers of the top of the unified tree. */
  controllers: readonly string[];
  onlineCpus: string;
  onlineMems: string;
}

/** Docker's sysinfo from what was probed. */
export function hostInfoFrom(version: 1 | 2, p: HostProbe): HostInfo {
  const base = { cpus: p.cpus, onlineCpus: p.onlineCpus, onlineMems: p.onlineMems };
  if (version === 2) {
    const on = (c: string) => p.controllers.includes(c);
    return {
      ...base,
      memoryLimit: on('memory'), swapLimit: on('memory'), memoryReservation: on('memory'),
      // not offered by cgroup v2
      memorySwappiness: false, oomKillDisable: false,
      pidsLimit: on('pids'), cpuShares: on('cpu'), cpuCfs: on('cpu'), cpuset: on('cpuset'), blkioWeight: on('io'),
    };
  }
  const has = p.has;
  return {
    ...base,
    memoryLimit: has('memory'),
    swapLimit: has('memory/memory.memsw.limit_in_bytes'),
    memoryReservation: has('memory/memory.soft_limit_in_bytes'),
    memorySwappiness: has('memory/memory.swappiness'),
    oomKillDisable: has('memory/memory.oom_control'),
    pidsLimit: has('pids'),
    cpuShares: has('cpu/cpu.shares'),
    cpuCfs: has('cpu/cpu.cfs_quota_us'),
    cpuset: has('cpuset'),
    blkioWeight: has('blkio/blkio.weight'),
  };
}

const readTrim = async (file: string) => {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return '';
  }
};

/** Probes this host (run once at daemon start: the answer does not change while it runs). */
export async function readHostInfo(opts: ResolveOptions = {}): Promise<HostInfo> {
  const mounts: CgroupMounts = await readCgroupMounts(opts);
  const cpus = os.availableParallelism();
  if (mounts.version === 2) {
    const top = mounts.unified?.mountpoint ?? '/sys/fs/cgroup';
    return hostInfoFrom(2, {
      cpus,
      has: () => false,
      controllers: (await readTrim(path.join(top, 'cgroup.controllers'))).split(/\s+/).filter(Boolean),
      onlineCpus: await readTrim(path.join(top, 'cpuset.cpus.effective')),
      onlineMems: await readTrim(path.join(top, 'cpuset.mems.effective')),
    });
  }
  const existing = new Set<string>();
  const candidates = [
    'memory', 'memory/memory.memsw.limit_in_bytes', 'memory/memory.soft_limit_in_bytes', 'memory/memory.swappiness',
    'memory/memory.oom_control', 'pids', 'cpu/cpu.shares', 'cpu/cpu.cfs_quota_us', 'cpuset', 'blkio/blkio.weight',
  ];
  await Promise.all(candidates.map(async (c) => {
    const [ctrl, file] = c.split('/') as [keyof CgroupMounts['v1'], string | undefined];
    const h = mounts.v1[ctrl];
    if (!h) return;
    try {
      if (file) await stat(path.join(h.mountpoint, file));
      existing.add(c);
    } catch {
      // absent: not supported
    }
  }));
  const cpuset = mounts.v1.cpuset?.mountpoint;
  return hostInfoFrom(1, {
    cpus,
    has: (c) => existing.has(c),
    controllers: [],
    onlineCpus: cpuset ? await readTrim(path.join(cpuset, 'cpuset.cpus')) : '',
    onlineMems: cpuset ? await readTrim(path.join(cpuset, 'cpuset.mems')) : '',
  });
}
