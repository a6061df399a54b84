/**
 * The image store as a commit's target (CommitTarget): layer, config and tag through its public API;
 * createChild records the image a build step made it from (Parent), and may leave the layer's files
 * unflushed (a build syncs the file system once, at its end).
 */
import { createReadStream } from 'node:fs';
import type { ImageStore } from '../../images/store.js';
import { repoTagReference } from '../../core/reference.js';
import type { ImageConfigBlob } from '../../api/types.js';
import type { CommitTarget } from './service.js';

export function commitTarget(store: Pick<ImageStore, 'resolve' | 'withLayersHeld' | 'ingestLayer' | 'createImage' | 'tag'>): CommitTarget & { createChild(layer: { diffID: string; file: string }, config: ImageConfigBlob, parent: string, sync: boolean): Promise<string> } {
  const create = async (layer: { diffID: string; file: string }, config: ImageConfigBlob, ref?: { repo: string; tag?: string }, parent?: string, sync = true) => {
    const diffIDs = config.rootfs.diff_ids;
    return store.withLayersHeld(diffIDs, async () => {
      // an empty layer is not part of the image (image.NewChildImage)
      // (a layer without a file is in the store already)
      if (diffIDs.includes(layer.diffID) && layer.file) await store.ingestLayer(layer.diffID, createReadStream(layer.file), { sync });
      const rec = await store.createImage(Buffer.from(JSON.stringify(config)), { parent, sync });
      if (ref) await store.tag(rec.id, ref.repo, ref.tag);
      return rec.id;
    });
  };
  return {
    createChild: (layer, config, parent, sync) => create(layer, config, undefined, parent, sync),
    imageConfig: (id) => store.resolve(id).config,
    checkReference(repo, tag) {
      repoTagReference(repo, tag);
    },
    create: (layer, config, ref, parent) => create(layer, config, ref, parent),
  };
}
