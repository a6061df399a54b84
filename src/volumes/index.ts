/**
 * Volumes: the `local` driver, its store, and the mounts of containers.
 *
 * Wiring (daemon):
 *   const mounter = new SystemMounter();
 *   const store = await VolumeStore.open(path.join(dataRoot, 'volumes'), { mounter, log });
 *   const volumes = new VolumeService({ store, mounter, usedBy, events, log });
 *   await volumes.init();
 *
 * Container lifecycle:
 *   create: plans = await volumes.attach(planMounts({ binds, mounts, tmpfs, imageVolumes, volumesFrom, volumeDriver }))
 *           -> keep `plans` in the container record; inspect `Mounts` = inspectMounts(plans)
 *   start:  paths = await volumes.setUp(plans, id, rootfs); { binds, tmpfs } = specMounts(plans, paths)
 *   stop:   await volumes.tearDown(plans, id)
 *   rm -v:  await volumes.removeAnonymous(plans, id)
 */
export type { Volume, VolumeCreateRequest, VolumeListResponse, VolumePruneResponse, VolumeUsageData } from '../api/volumes.js';
export { copyUp, dirSize, resolveInRoot } from './copyup.js';
export { filterVolumes, pruneFilters, pruneMatches, type Filters } from './filters.js';
export { SystemMounter, type Mounter } from './mounter.js';
export {
  bindOptions, cleanPath, inspectMounts, parseBind, parseMountSpec, parseVolumesFrom, planMounts, propagationPlan, specMounts, tmpfsData, tmpfsDestinations,
  validMountMode, type BindMount, type MountOrigin, type MountPlan, type PlanInput, type VolumesFromInput,
} from './mounts.js';
export { ANONYMOUS_LABEL, LOCAL_DRIVER, nameError, needsMount, optionsError, volumeView, type VolumeRecord } from './record.js';
export { VolumeService, type VolumeEvents, type VolumeServiceDeps } from './service.js';
export { VolumeStore, type VolumeStoreOptions } from './store.js';
