/** What the daemon loads on its first pull, push or login (see lazyRegistry in images.ts). */
import type { ImageStore, RegistryAccess } from '../images/index.js';
import { goArch } from '../core/platform.js';
import { decodeAuthHeader } from '../registry/client/auth.js';
import { DistributionMetadata } from '../registry/distmeta.js';
import { login } from '../registry/login.js';
import { Progress } from '../registry/progress.js';
import { pull, pullAllTags, type PullStore } from '../registry/pull.js';
import { push, type PushStore } from '../registry/push.js';
import type { RegistryOptions } from './config.js';

/** RegistryAccess over the registry client, storing into `images` */
export async function registryAccess(distDir: string, images: ImageStore, registries: RegistryOptions, log: (m: string) => void): Promise<RegistryAccess> {
  const dist = await DistributionMetadata.open(distDir);
  const pullStore: PullStore = {
    hasLayer: (d) => images.hasLayer(d),
    ingestLayer: (d, tar) => images.ingestLayer(d, tar),
    withLayersHeld: (d, fn) => images.withLayersHeld(d, fn),
    createImage: (config) => images.createImage(config),
    setReference: (ref, id) => images.setReference(ref, id),
    currentId: (ref) => images.currentId(ref),
  };
  const pushStore: PushStore = {
    image: (ref) => images.pushable(ref),
    tagsOf: (name) => images.referencesByName(name),
    layerTar: (d) => images.layerTar(d),
    layerSize: (d) => images.layerTarSize(d),
    setReference: (ref, id) => images.setReference(ref, id),
  };
  return {
    async pull(ref, opts, sink) {
      const deps = { store: pullStore, dist, registries, hostArch: goArch(), maxConcurrentDownloads: registries.maxConcurrentDownloads, log };
      const o = { platform: opts.platform, creds: decodeAuthHeader(opts.auth), signal: opts.signal, progress: new Progress(sink) };
      // as the API says: neither tag nor digest pulls every tag (docker pull -a)
      if (ref.tag === undefined && ref.digest === undefined) await pullAllTags(deps, ref, o);
      else await pull(deps, ref, o);
    },
    async push(ref, opts, sink) {
      await push({ store: pushStore, dist, registries, maxConcurrentUploads: registries.maxConcurrentUploads },
        ref, { creds: decodeAuthHeader(opts.auth), signal: opts.signal, progress: new Progress(sink) });
    },
    login: (auth) => login(registries, auth),
  };
}

/** Registry lookups that pull nothing (GET /distribution/{name}/json, GET /images/search) */
export { decodeAuthHeader };
export { inspectDistribution } from '../registry/inspect.js';
export { searchRegistry } from '../registry/search.js';
