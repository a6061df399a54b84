/**
 * GET /system/df: what images, containers and volumes take on disk, as dockerd reports it. Image sizes
 * are unpacked layer sizes; SharedSize is the part of an image's layers that other images also use;
 * a container's SizeRw is its writable layer, SizeRootFs that plus its image.
 */
import type { ContainerSummary, ImageSummary } from '../api/types.js';
import type { ContainerRecord } from '../containers/record.js';
import type { Volume } from '../api/volumes.js';
import { dirSize } from '../volumes/index.js';

export interface DiskUsage {
  LayersSize: number;
  Images: ImageSummary[];
  Containers: ContainerSummary[];
  Volumes: Volume[];
  BuildCache: [];
}

export interface DiskUsageDeps {
  images(): ImageSummary[];
  /** diffIDs of an image */
  layersOf(imageId: string): string[];
  layerSize(diffID: string): Promise<number>;
  containers(): ContainerRecord[];
  summary(rec: ContainerRecord): ContainerSummary;
  upperDir(id: string): string;
  volumes(): Promise<Volume[]>;
}

export async function diskUsage(d: DiskUsageDeps): Promise<DiskUsage> {
  const images = d.images();
  const users = new Map<string, number>();
  for (const img of images) for (const l of new Set(d.layersOf(img.Id))) users.set(l, (users.get(l) ?? 0) + 1);
  const sizes = new Map<string, number>();
  for (const l of users.keys()) sizes.set(l, await d.layerSize(l).catch(() => 0));
  const outImages = images.map((img) => {
    const shared = [...new Set(d.layersOf(img.Id))].filter((l) => (users.get(l) ?? 0) > 1).reduce((s, l) => s + (sizes.get(l) ?? 0), 0);
    return { ...img, SharedSize: shared };
  });
  const containers: ContainerSummary[] = [];
  for (const rec of d.containers()) {
    const sizeRw = await dirSize(d.upperDir(rec.id)).catch(() => 0);
    const image = images.find((i) => i.Id === rec.image);
    containers.push({ ...d.summary(rec), SizeRw: sizeRw, SizeRootFs: sizeRw + (image?.Size ?? 0) });
  }
  return {
    LayersSize: [...sizes.values()].reduce((a, b) => a + b, 0),
    Images: outImages,
    Containers: containers,
    Volumes: await d.volumes(),
    BuildCache: [],
  };
}
