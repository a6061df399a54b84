/**
 * Wiring of src/runtime/cgroups for the daemon: Docker's resource rules at create and update, OOM
 * detection at exit, live updates through `runc update`, and the stats JSON of a running container
 * (cgroup files plus the interfaces of its network namespace).
 */
import { readFile } from 'node:fs/promises';
import type { ContainerCgroups } from '../containers/service.js';
import {
  adaptResources, checkResources, mergeUpdate, oomKilled, readHostInfo, readStats, resolveCgroup, updateArgs, withPrevious,
  type ContainerStats, type HostInfo, type NetworkStats, type Resources,
} from '../runtime/cgroups/index.js';
import type { Runtime } from '../runtime/runtime.js';

/** rx/tx counters of a process's network namespace, as Docker's `networks` field (loopback left out). */
export async function netStats(pid: number): Promise<Record<string, NetworkStats>> {
  const text = await readFile(`/proc/${pid}/net/dev`, 'utf8');
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    out[m[1]!] = {
      rx_bytes: f[0]!, rx_packets: f[1]!, rx_errors: f[2]!, rx_dropped: f[3]!,
      tx_bytes: f[8]!, tx_packets: f[9]!, tx_errors: f[10]!, tx_dropped: f[11]!,
    };
  }
  return out;
}

export async function openCgroups(runtime: Runtime, cgroupParent: string) {
  const host: HostInfo = await readHostInfo();
  const cgPath = (id: string) => `/${cgroupParent}/${id}`;
  const forContainers: ContainerCgroups = {
    check(hc, update = false) {
      const r = checkResources(hc as Resources, host, { update });
      return { warnings: r.warnings, resources: (update ? r.resources : adaptResources(r.resources)) as Record<string, unknown> };
    },
    async oomKilled(id) {
      return oomKilled(await resolveCgroup(cgPath(id)));
    },
    async apply(id, resources) {
      const args = updateArgs(resources as Resources);
      if (args.length) await runtime.update(id, args);
    },
    merge: (current, update) => mergeUpdate(current as Resources, update as Resources) as Record<string, unknown>,
  };
  /** One stats sample of a running container; `prev` fills precpu_stats as Docker's stream does. */
  const stats = async (c: { id: string; name: string; pid: number }, prev?: ContainerStats): Promise<ContainerStats & { name: string; id: string }> => {
    const cur = await readStats(await resolveCgroup(cgPath(c.id)));
    const networks = await netStats(c.pid).catch(() => undefined);
    return { ...withPrevious(cur, prev), name: c.name, id: c.id, ...(networks && Object.keys(networks).length ? { networks } : {}) };
  };
  return { forContainers, stats };
}
