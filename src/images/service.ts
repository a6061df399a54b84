/**
 * ImageService: what the daemon does with images, above the ImageStore (records, references, layers).
 * It owns list, inspect, history, tag, remove, import, load, save, pull and push, and publishes their
 * events. Registries are reached through RegistryAccess, given by the daemon, so this folder never
 * imports the registry client (which is loaded on the first pull, push or login).
 */
import type { Readable, Writable } from 'node:stream';
import type { HistoryItem, ImageConfigBlob, ImageDeleteResponseItem, ImageInspect, ImageSummary } from '../api/types.js';
import type { EventBus } from '../core/events.js';
import { familiarName, familiarString, parseNormalizedNamed, repoTagReference, type NamedRef } from '../core/reference.js';
import type { Snapshotter } from '../snapshots/index.js';
import type { ImageStore, ImageUser } from './store.js';

/** Pull, push and login against registries: the daemon implements it over src/registry. */
export interface RegistryAccess {
  /** pull `ref`; with neither tag nor digest, every tag of the repository */
  pull(ref: NamedRef, opts: { platform?: string; auth?: string; signal: AbortSignal }, sink: (m: object) => void): Promise<void>;
  /** push `ref`; without a tag, every tag of the repository */
  push(ref: NamedRef, opts: { auth?: string; signal: AbortSignal }, sink: (m: object) => void): Promise<void>;
  login(auth: Record<string, string>): Promise<{ Status: string; IdentityToken: string }>;
}

export interface ImageServiceDeps {
  store: ImageStore;
  registry: RegistryAccess;
  /** the containers that use an image (an image in use is not removed without force) */
  usedBy: (imageId: string) => ImageUser[];
  events?: EventBus;
}

/** An image as a container is made from it. */
export interface ResolvedImage {
  id: string;
  config: ImageConfigBlob;
  layers: string[];
}

export class ImageService {
  readonly store: ImageStore;
  readonly snapshotter: Snapshotter;

  constructor(private readonly d: ImageServiceDeps) {
    this.store = d.store;
    this.snapshotter = d.store.snapshotter;
  }

  private labelsOf(ref: string): Record<string, string> {
    try {
      return this.store.resolve(ref).config.config?.Labels ?? {};
    } catch {
      return {}; // gone already (delete), or a reference that names no single image
    }
  }

  /** dockerd's LogImageEvent: the actor is `id` (an image id or a reference), with the image's labels and `name` */
  private event(action: string, id: string, name: string, labels: Record<string, string> = this.labelsOf(id)): void {
    this.d.events?.publish('image', action, id, { ...labels, name });
  }

  resolveImage(ref: string): ResolvedImage {
    const r = this.store.resolve(ref);
    return { id: r.id, config: r.config, layers: r.diffIDs };
  }

  count(): number {
    return this.store.list().length;
  }

  /** whether `ref` names the image `id` now */
  matches(id: string, ref: string): boolean {
    try {
      return this.store.resolve(ref).id === id;
    } catch {
      return false;
    }
  }

  /** what `docker ps` shows in IMAGE: the name given at create while it still names that image, else the short id */
  displayName(id: string, given: string): string {
    return given && this.matches(id, given) ? given : id.replace(/^sha256:/, '').slice(0, 12);
  }

  summaries(opts: { all: boolean; filters: Record<string, string[]> }): ImageSummary[] {
    return this.store.summaries(opts).map((s) => ({ ...s, Containers: this.d.usedBy(s.Id).length }));
  }

  inspect(ref: string): ImageInspect {
    return this.store.inspect(ref);
  }

  history(ref: string): Promise<HistoryItem[]> {
    return this.store.history(ref);
  }

  /** bytes of all unpacked layers of all images */
  async layersSize(): Promise<number> {
    let n = 0;
    for (const d of new Set(this.store.list().flatMap((i) => i.diffIDs))) n += await this.snapshotter.layerSize(d).catch(() => 0);
    return n;
  }

  async tag(source: string, repo: string, tag: string): Promise<void> {
    const name = await this.store.tag(source, repo, tag);
    this.event('tag', this.store.resolve(source).id, name);
  }

  async remove(ref: string, opts: { force: boolean; prune: boolean }): Promise<ImageDeleteResponseItem[]> {
    const before = this.store.resolve(ref);
    const labels = before.config.config?.Labels ?? {};
    // the parents a prune may delete with it
    const images = new Set<string>();
    for (let id: string | undefined = before.id; id && !images.has(id); id = this.parentOf(id)) images.add(id);
    const out = await this.store.remove(ref, opts, this.d.usedBy);
    for (const item of out) {
      if (item.Untagged) this.event('untag', before.id, before.id, labels);
      // the other Deleted items are the images' layers, which dockerd reports without an event
      if (item.Deleted && images.has(item.Deleted)) this.event('delete', item.Deleted, item.Deleted, {});
    }
    await this.store.prune().catch(() => undefined);
    return out;
  }

  private parentOf(id: string): string | undefined {
    try {
      return this.store.resolve(id).parent;
    } catch {
      return undefined;
    }
  }

  async importRootfs(body: Readable, opts: { repo?: string; tag?: string; changes: string[]; message?: string; platform?: string }): Promise<{ id: string }> {
    const { id } = await this.store.importRootfs(body, opts);
    if (opts.repo) this.event('tag', id, familiarString(repoTagReference(opts.repo, opts.tag)));
    this.event('import', id, id);
    return { id };
  }

  /** `docker load`; `onMessage` receives Docker's `Loaded image: x` lines; resolves with the loaded ids */
  async load(body: Readable | AsyncIterable<Buffer>, onMessage: (line: string) => void = () => {}): Promise<string[]> {
    const { loadArchive } = await import('./archive.js'); // tar streams, loaded on first use
    const ids = await loadArchive(this.store, body, onMessage);
    for (const id of new Set(ids)) this.event('load', id, id);
    return ids;
  }

  /** `docker save` of the given references, ids or repository names (all tags) */
  async save(refs: string[], out: Writable): Promise<void> {
    const ids = new Set(refs.map((r) => this.store.resolve(r).id));
    const { saveArchive } = await import('./archive.js');
    await saveArchive(this.store, refs, out);
    for (const id of ids) this.event('save', id, id);
  }

  async pull(ref: string, opts: { platform?: string; auth?: string; signal: AbortSignal }, sink: (m: object) => void): Promise<void> {
    const parsed = parseNormalizedNamed(ref);
    await this.d.registry.pull(parsed, opts, sink);
    this.event('pull', familiarString(parsed), familiarName(parsed));
  }

  async push(ref: string, opts: { auth?: string; signal: AbortSignal }, sink: (m: object) => void): Promise<void> {
    const parsed = parseNormalizedNamed(ref);
    await this.d.registry.push(parsed, opts, sink);
    this.event('push', familiarString(parsed), familiarName(parsed));
  }

  login(auth: Record<string, string>): Promise<{ Status: string; IdentityToken: string }> {
    return this.d.registry.login(auth);
  }

  /** after POST /images/prune: reports what it freed (the image `prune` event) */
  pruned(reclaimed: number): void {
    this.d.events?.publish('image', 'prune', '', { reclaimed: String(reclaimed) });
  }
}
