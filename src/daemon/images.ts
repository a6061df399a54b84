/** Wiring of the image store for the daemon: the narrow views the container service and routes use. */
import type { ImageApi } from '../server/routes/images.js';
import type { ImageResolver } from '../core/containers/service.js';
import type { ContainerStore } from '../core/containers/store.js';
import * as path from 'node:path';
import { ImageStore } from '../core/images/index.js';
import { parseNormalizedNamed } from '../core/images/reference.js';
import { goArch } from '../core/images/util.js';
import { decodeAuthHeader } from '../registry/client/auth.js';
import { DistributionMetadata } from '../registry/distmeta.js';
import { login } from '../registry/login.js';
import { Progress } from '../registry/progress.js';
import { pull, pullAllTags, type PullStore } from '../registry/pull.js';
import { push, type PushStore } from '../registry/push.js';
import type { RegistryOptions } from './config.js';

export async function openImages(dataRoot: string, containers: ContainerStore, registry: RegistryOptions, log: (m: string) => void = () => {}) {
  const images = await ImageStore.open(dataRoot);
  const dist = await DistributionMetadata.open(path.join(dataRoot, 'image', 'distribution'));
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
  const snapshotter = images.snapshotter;
  const usedBy = (imageId: string) => containers.all().filter((c) => c.image === imageId).map((c) => ({ id: c.id, running: c.state.Status === 'running' }));
  const sameImage = (id: string, ref: string): boolean => {
    try {
      return images.resolve(ref).id === id;
    } catch {
      return false;
    }
  };
  const resolver: ImageResolver = {
    resolveImage(ref) {
      const r = images.resolve(ref);
      return { id: r.id, config: r.config, layers: r.diffIDs };
    },
  };
  const api: ImageApi = {
    summaries(opts) {
      return images.summaries(opts).map((s) => ({ ...s, Containers: usedBy(s.Id).length }));
    },
    inspect: (ref) => images.inspect(ref),
    history: (ref) => images.history(ref),
    async layersSize() {
      let n = 0;
      for (const d of new Set(images.list().flatMap((i) => i.diffIDs))) n += await snapshotter.layerSize(d).catch(() => 0);
      return n;
    },
    async tag(source, repo, tag) { await images.tag(source, repo, tag); },
    async remove(ref, opts) {
      const out = await images.remove(ref, opts, usedBy);
      await images.prune().catch(() => undefined);
      return out;
    },
    async importRootfs(body, opts) { return { id: (await images.importRootfs(body, opts)).id }; },
    load: (body, onMessage) => images.load(body, onMessage),
    save: (refs, out) => images.save(refs, out),
    async pull(ref, opts, sink) {
      const parsed = parseNormalizedNamed(ref);
      const deps = { store: pullStore, dist, registries: registry, hostArch: goArch(), maxConcurrentDownloads: registry.maxConcurrentDownloads, log };
      const o = { platform: opts.platform, creds: decodeAuthHeader(opts.auth), signal: opts.signal, progress: new Progress(sink) };
      // as the API says: neither tag nor digest pulls every tag (docker pull -a)
      if (parsed.tag === undefined && parsed.digest === undefined) await pullAllTags(deps, parsed, o);
      else await pull(deps, parsed, o);
    },
    async push(ref, opts, sink) {
      await push({ store: pushStore, dist, registries: registry, maxConcurrentUploads: registry.maxConcurrentUploads },
        parseNormalizedNamed(ref), { creds: decodeAuthHeader(opts.auth), signal: opts.signal, progress: new Progress(sink) });
    },
    login: (auth) => login(registry, auth),
  };
  return {
    ...resolver,
    snapshotter,
    api,
    count: () => images.list().length,
    /** what `docker ps` shows in IMAGE: the name given at create while it still names that image, else the short id */
    displayName: (id: string, given: string) => (given && sameImage(id, given) ? given : id.replace(/^sha256:/, '').slice(0, 12)),
    matches: sameImage,
  };
}
