/** Wiring of the image store for the daemon: the narrow views the container service and routes use. */
import type { ImageApi } from '../server/routes/images.js';
import type { RegistryLookups } from '../server/routes/distribution.js';
import type { ImageResolver } from '../containers/service.js';
import type { ContainerStore } from '../containers/store.js';
import * as path from 'node:path';
import { ImageStore } from '../images/index.js';
import { familiarName, familiarString, parseNormalizedNamed, repoTagReference } from '../images/reference.js';
import type { EventBus } from '../core/events.js';
import { goArch } from '../images/util.js';
import { DistributionMetadata } from '../registry/distmeta.js';
import type { PullStore } from '../registry/pull.js';
import type { PushStore } from '../registry/push.js';
import type { RegistryOptions } from './config.js';
import { OverlaySnapshotter } from '../core/snapshots/index.js';
import type { IdentityMapping } from '../runtime/userns/index.js';

/**
 * The registry client (HTTPS, TLS, gzip and zstd streams), loaded on the first pull, push or login: a
 * daemon that never talks to a registry does not carry it (several MB of memory).
 */
let registryMod: Promise<typeof import('./registry.js')> | undefined;
const registryClient = () => (registryMod ??= import('./registry.js'));

export async function openImages(dataRoot: string, containers: ContainerStore, registry: RegistryOptions, log: (m: string) => void = () => {}, events?: EventBus, idMap?: IdentityMapping) {
  // with userns-remap, layers are unpacked with owners shifted into the remapped range
  const images = await ImageStore.open(dataRoot, idMap ? { snapshotter: await OverlaySnapshotter.open(dataRoot, { idMap }) } : {});
  const labelsOf = (ref: string): Record<string, string> => {
    try {
      return images.resolve(ref).config.config?.Labels ?? {};
    } catch {
      return {}; // gone already (delete), or a reference that names no single image
    }
  };
  /** dockerd's LogImageEvent: the actor is `id` (an image id or a reference), with the image's labels and `name` */
  const imageEvent = (action: string, id: string, name: string, labels: Record<string, string> = labelsOf(id)) => {
    events?.publish('image', action, id, { ...labels, name });
  };
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
  const api: ImageApi & RegistryLookups = {
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
    async tag(source, repo, tag) {
      const name = await images.tag(source, repo, tag);
      imageEvent('tag', images.resolve(source).id, name);
    },
    async remove(ref, opts) {
      const before = images.resolve(ref);
      const labels = before.config.config?.Labels ?? {};
      const out = await images.remove(ref, opts, usedBy);
      for (const item of out) {
        if (item.Untagged) imageEvent('untag', before.id, before.id, labels);
        // the other Deleted items are the image's layers, which dockerd reports without an event
        if (item.Deleted === before.id) imageEvent('delete', before.id, before.id, {});
      }
      await images.prune().catch(() => undefined);
      return out;
    },
    async importRootfs(body, opts) {
      const { id } = await images.importRootfs(body, opts);
      if (opts.repo) imageEvent('tag', id, familiarString(repoTagReference(opts.repo, opts.tag)));
      imageEvent('import', id, id);
      return { id };
    },
    async load(body, onMessage) {
      const ids = await images.load(body, onMessage);
      for (const id of new Set(ids)) imageEvent('load', id, id);
      return ids;
    },
    async save(refs, out) {
      const ids = new Set(refs.map((r) => images.resolve(r).id));
      await images.save(refs, out);
      for (const id of ids) imageEvent('save', id, id);
    },
    async pull(ref, opts, sink) {
      const { pull, pullAllTags, decodeAuthHeader, Progress } = await registryClient();
      const parsed = parseNormalizedNamed(ref);
      const deps = { store: pullStore, dist, registries: registry, hostArch: goArch(), maxConcurrentDownloads: registry.maxConcurrentDownloads, log };
      const o = { platform: opts.platform, creds: decodeAuthHeader(opts.auth), signal: opts.signal, progress: new Progress(sink) };
      // as the API says: neither tag nor digest pulls every tag (docker pull -a)
      if (parsed.tag === undefined && parsed.digest === undefined) await pullAllTags(deps, parsed, o);
      else await pull(deps, parsed, o);
      imageEvent('pull', familiarString(parsed), familiarName(parsed));
    },
    async push(ref, opts, sink) {
      const { push, decodeAuthHeader, Progress } = await registryClient();
      const parsed = parseNormalizedNamed(ref);
      await push({ store: pushStore, dist, registries: registry, maxConcurrentUploads: registry.maxConcurrentUploads },
        parsed, { creds: decodeAuthHeader(opts.auth), signal: opts.signal, progress: new Progress(sink) });
      imageEvent('push', familiarString(parsed), familiarName(parsed));
    },
    login: async (auth) => (await registryClient()).login(registry, auth),
    async distribution(ref, auth) {
      const { inspectDistribution, decodeAuthHeader } = await registryClient();
      return inspectDistribution(registry, parseNormalizedNamed(ref), decodeAuthHeader(auth));
    },
    async search(term, limit, filters, auth) {
      const { searchRegistry, decodeAuthHeader } = await registryClient();
      // as dockerd: a search ignores credentials it cannot decode
      let creds;
      try { creds = decodeAuthHeader(auth); } catch { creds = undefined; }
      return searchRegistry(registry, term, limit, filters, creds);
    },
    pruned: (reclaimed) => { events?.publish('image', 'prune', '', { reclaimed: String(reclaimed) }); },
  };
  return {
    ...resolver,
    snapshotter,
    api,
    /** the store itself, for commits (src/containers/fs) */
    store: images,
    count: () => images.list().length,
    /** what `docker ps` shows in IMAGE: the name given at create while it still names that image, else the short id */
    displayName: (id: string, given: string) => (given && sameImage(id, given) ? given : id.replace(/^sha256:/, '').slice(0, 12)),
    matches: sameImage,
  };
}
