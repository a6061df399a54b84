/**
 * `--cache-from`: images whose history continues the current parent with the step about to run are
 * cache hits, as Docker's image cache for cache-from sources does it. The parent's history and layers
 * must be a prefix of the source's; the next history entry must record the same command; for the source's
 * last entry its config must be the step's config too. The hit becomes an image of its own: the source's
 * layers and history up to that entry, with the step's config.
 */
import type { ContainerConfig, ImageConfigBlob } from '../api/types.js';
import type { BuildBackend } from './backend.js';

type History = NonNullable<ImageConfigBlob['history']>[number];

const sameHistory = (a: History, b: History) => a.created_by === b.created_by && !!a.empty_layer === !!b.empty_layer;

/** Where `parent` ends inside `source`: the index of the next history entry, or -1. */
export function continuation(parent: ImageConfigBlob | undefined, source: ImageConfigBlob): { at: number; layers: number } | undefined {
  const ph = parent?.history ?? [];
  const pd = parent?.rootfs.diff_ids ?? [];
  const sh = source.history ?? [];
  const sd = source.rootfs.diff_ids;
  if (sh.length <= ph.length || sd.length < pd.length) return undefined;
  for (let i = 0; i < ph.length; i++) if (!sameHistory(ph[i]!, sh[i]!)) return undefined;
  for (let i = 0; i < pd.length; i++) if (pd[i] !== sd[i]) return undefined;
  return { at: ph.length, layers: pd.length };
}

export async function cacheFromHit(backend: BuildBackend, sources: string[], parent: string, createdBy: string, config: ContainerConfig): Promise<string | undefined> {
  const parentCfg = parent ? backend.image(parent).config : undefined;
  for (const ref of sources) {
    let src: ImageConfigBlob;
    try {
      src = backend.image(ref).config;
    } catch {
      continue;
    }
    const c = continuation(parentCfg, src);
    if (!c) continue;
    const next = src.history![c.at]!;
    if (next.created_by !== createdBy) continue;
    const last = c.at === src.history!.length - 1;
    if (last && JSON.stringify({ ...src.config, Image: '' }) !== JSON.stringify({ ...config, Image: '' })) continue;
    const diffIDs = src.rootfs.diff_ids.slice(0, c.layers + (next.empty_layer ? 0 : 1));
    const img: ImageConfigBlob = {
      ...src,
      config: last ? src.config : config,
      rootfs: { type: 'layers', diff_ids: diffIDs },
      history: src.history!.slice(0, c.at + 1),
    };
    return backend.createImage(img, undefined, parent || undefined);
  }
  return undefined;
}
