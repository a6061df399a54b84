/** Wiring of the image store for the daemon: the narrow views the container service and routes use. */
import type { ImageApi } from '../server/routes/images.js';
import type { ImageResolver } from '../core/containers/service.js';
import type { ContainerStore } from '../core/containers/store.js';
import { ImageStore } from '../core/images/index.js';

export async function openImages(dataRoot: string, containers: ContainerStore) {
  const images = await ImageStore.open(dataRoot);
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
    async tag(source, repo, tag) { await images.tag(source, repo, tag); },
    async remove(ref, opts) {
      const out = await images.remove(ref, opts, usedBy);
      await images.prune().catch(() => undefined);
      return out;
    },
    async importRootfs(body, opts) { return { id: (await images.importRootfs(body, opts)).id }; },
    load: (body, onMessage) => images.load(body, onMessage),
    save: (refs, out) => images.save(refs, out),
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
