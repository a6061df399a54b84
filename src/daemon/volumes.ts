/** Wiring of the volumes subsystem for the daemon: the store, the service, and the container's view of it. */
import * as path from 'node:path';
import type { Mount } from '../api/types.js';
import type { ContainerVolumes } from '../containers/service.js';
import type { ContainerStore } from '../containers/store.js';
import type { EventBus } from '../core/events.js';
import { readFile } from 'node:fs/promises';
import { parseVolumesFrom, planMounts, propagationPlan, specMounts, SystemMounter, VolumeService, VolumeStore } from '../volumes/index.js';

export async function openVolumes(dataRoot: string, containers: ContainerStore, events: EventBus, log: (m: string) => void, rootOwner?: { uid: number; gid: number }) {
  const mounter = new SystemMounter();
  const store = await VolumeStore.open(path.join(dataRoot, 'volumes'), { mounter, log, rootOwner });
  const service = new VolumeService({
    store, mounter, events, log, rootOwner,
    usedBy: (name) => containers.all().filter((c) => c.mounts?.some((p) => p.type === 'volume' && p.name === name)).map((c) => c.id),
  });
  await service.init();
  const forContainers: ContainerVolumes = {
    attach: (b, imageVolumes, mountsOf) => {
      const hc = b.HostConfig ?? {};
      return service.attach(planMounts({
        binds: hc.Binds, mounts: hc.Mounts as Mount[] | null | undefined, tmpfs: hc.Tmpfs, imageVolumes, volumeDriver: hc.VolumeDriver,
        volumesFrom: (hc.VolumesFrom ?? []).map((spec) => ({ spec, mounts: mountsOf(parseVolumesFrom(spec).container) })),
      }));
    },
    async setUp(plans, id, rootfs) {
      const m = specMounts(plans, await service.setUp(plans, id, rootfs));
      if (!m.binds.some((b) => b.options?.some((o) => /^r?(shared|slave)$/.test(o)))) return m;
      try {
        return { ...m, ...propagationPlan(m.binds, await readFile('/proc/self/mountinfo', 'utf8')) };
      } catch (e) {
        await service.tearDown(plans, id).catch(() => undefined);
        throw e;
      }
    },
    tearDown: (plans, id) => service.tearDown(plans, id),
    async removeAnonymous(plans, id) {
      await service.removeAnonymous(plans, id);
    },
  };
  /** After a restart: running containers keep their volumes mounted; nothing else stays mounted. */
  const restore = async () => {
    for (const c of containers.all()) {
      if (c.state.Status !== 'running' && c.state.Status !== 'paused') continue;
      for (const p of c.mounts ?? []) if (p.type === 'volume') service.liveRestore(p.name, c.id);
    }
    await service.releaseUnused();
  };
  return { service, forContainers, restore };
}
