/** The image store as a commit's target (CommitTarget): layer, config and tag through its public API. */
import { createReadStream } from 'node:fs';
import type { ImageStore } from '../../images/store.js';
import { repoTagReference } from '../../core/reference.js';
import type { CommitTarget } from './service.js';

export function commitTarget(store: Pick<ImageStore, 'resolve' | 'withLayersHeld' | 'ingestLayer' | 'createImage' | 'tag'>): CommitTarget {
  return {
    imageConfig: (id) => store.resolve(id).config,
    checkReference(repo, tag) {
      repoTagReference(repo, tag);
    },
    async create(layer, config, ref) {
      const diffIDs = config.rootfs.diff_ids;
      return store.withLayersHeld(diffIDs, async () => {
        // an empty layer is not part of the image (image.NewChildImage)
        if (diffIDs.includes(layer.diffID)) await store.ingestLayer(layer.diffID, createReadStream(layer.file));
        const rec = await store.createImage(Buffer.from(JSON.stringify(config)));
        if (ref) await store.tag(rec.id, ref.repo, ref.tag);
        return rec.id;
      });
    },
  };
}
