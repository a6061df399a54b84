/** Wiring of the image subsystem for the daemon: the store, its registry access, and the ImageService. */
import * as path from 'node:path';
import type { ContainerStore } from '../containers/store.js';
import type { EventBus } from '../core/events.js';
import { ImageService, ImageStore, type RegistryAccess } from '../images/index.js';
import type { IdentityMapping } from '../core/idmap.js';
import { OverlaySnapshotter } from '../snapshots/index.js';
import type { RegistryOptions } from './config.js';
import type { RegistryLookups } from '../server/routes/distribution.js';
import { parseNormalizedNamed } from '../core/reference.js';

/**
 * The registry client (HTTPS, TLS, gzip and zstd streams), loaded on the first pull, push or login: a
 * daemon that never talks to a registry does not carry it (several MB of memory).
 */
let registryMod: Promise<typeof import('./registry.js')> | undefined;
const registryClient = () => (registryMod ??= import('./registry.js'));

/** RegistryAccess over src/registry, loaded on first use. */
function lazyRegistry(dataRoot: string, images: ImageStore, options: RegistryOptions, log: (m: string) => void): RegistryAccess {
  let access: Promise<RegistryAccess> | undefined;
  const get = () => (access ??= registryClient().then((m) => m.registryAccess(path.join(dataRoot, 'image', 'distribution'), images, options, log)));
  return {
    pull: async (ref, opts, sink) => (await get()).pull(ref, opts, sink),
    push: async (ref, opts, sink) => (await get()).push(ref, opts, sink),
    login: async (auth) => (await get()).login(auth),
  };
}

export async function openImages(dataRoot: string, containers: ContainerStore, registry: RegistryOptions, log: (m: string) => void = () => {}, events?: EventBus, idMap?: IdentityMapping): Promise<ImageService> {
  // with userns-remap, layers are unpacked with owners shifted into the remapped range
  const store = await ImageStore.open(dataRoot, idMap ? { snapshotter: await OverlaySnapshotter.open(dataRoot, { idMap }) } : {});
  const usedBy = (imageId: string) => containers.all().filter((c) => c.image === imageId).map((c) => ({ id: c.id, running: c.state.Status === 'running' }));
  return new ImageService({ store, registry: lazyRegistry(dataRoot, store, registry, log), usedBy, events });
}

/** GET /distribution/{name}/json and GET /images/search over src/registry, loaded on first use. */
export function registryLookups(options: RegistryOptions): RegistryLookups {
  return {
    async distribution(ref, auth) {
      const { inspectDistribution, decodeAuthHeader } = await registryClient();
      return inspectDistribution(options, parseNormalizedNamed(ref), decodeAuthHeader(auth));
    },
    async search(term, limit, filters, auth) {
      const { searchRegistry, decodeAuthHeader } = await registryClient();
      // as dockerd: a search ignores credentials it cannot decode
      let creds;
      try { creds = decodeAuthHeader(auth); } catch { creds = undefined; }
      return searchRegistry(options, term, limit, filters, creds);
    },
  };
}
