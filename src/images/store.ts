import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { HistoryItem, ImageConfigBlob, ImageDeleteResponseItem, ImageInspect, ImageSummary } from '../api/types.js';
import { LocalContentStore, isDigest } from '../content/index.js';
import { BerthError, conflict, errnoCode, internal, invalidArgument, isKind, notFound } from '../core/errors.js';
import { OverlaySnapshotter, type Snapshotter } from '../snapshots/index.js';
import { applyChanges } from './changes.js';
import { filterImages, type ImageFilters } from './filters.js';
import { chainIDs, historyOf, shortId, toInspect, toSummary, type ImageRecord } from './record.js';
import {
  familiarString,
  fullName,
  parseAnyReference,
  parseNormalizedNamed,
  refString,
  repoTagReference,
  withDefaultTag,
  type NamedRef,
} from '../core/reference.js';
import { maybeDecompress, tee } from './streams.js';
import { goArch } from '../core/platform.js';
import { Mutex, writeFileAtomic } from '../host/index.js';
import { byCodePoint } from '../core/compare.js';
import { conflictError, deleteConflict, isImageIDPrefix, isSingleReference, type Conflict, type ConflictCheck, type ImageUser } from './conflicts.js';

export type { ImageUser } from './conflicts.js';

export type UsedBy = (imageId: string) => Array<string | ImageUser>;

export interface RemoveOptions {
  force?: boolean;
  prune?: boolean;
}

export interface ImportOptions {
  /** `repo[:tag]`; without it the image is untagged. */
  repo?: string;
  tag?: string;
  /** Dockerfile instructions (`docker import --change`). */
  changes?: string[];
  /** Commit message; default `Imported from -`. */
  message?: string;
  /** `os/arch[/variant]`; default linux and this machine's architecture. */
  platform?: string;
}

export interface SummaryOptions {
  all?: boolean;
  filters?: ImageFilters;
}

/** Per-image metadata file `images/<hex>.json`. Tags and digests live only in repositories.json. */
interface ImageMeta {
  id: string;
  diffIDs: string[];
  lastTagTime?: string;
  added: string;
  /** the image a build step made this one from (Docker's Parent) */
  parent?: string;
}

interface StoredImage {
  config: ImageConfigBlob;
  meta: ImageMeta;
  size: number;
}

/**
 * Images: configs in a content store, layers in a snapshotter (and their uncompressed tars in the content
 * store, keyed by diffID, so that `save` and push are byte-exact), names in repositories.json.
 *
 * Layout under `<dataRoot>/image`:
 *   content/blobs/sha256/<hex>   config blobs (hex = image id) and uncompressed layer tars (hex = diffID)
 *   images/<hex>.json            {id, diffIDs, lastTagTime, added} per image
 *   repositories.json            {"Repositories": {"docker.io/library/busybox": {"docker.io/library/busybox:latest": "sha256:..."}}}
 *   tmp/                         archives being loaded, swept on open
 * Every file is written atomically; an image exists once its metadata file does, and is written last.
 * Mutations are serialized in-process; reads come from memory.
 */
export class ImageStore {
  private readonly images = new Map<string, StoredImage>();
  /** normalized reference string -> image id */
  private readonly refs = new Map<string, { ref: NamedRef; id: string }>();
  private readonly mutex = new Mutex();
  /** Layers being ingested for an image not yet recorded: never garbage-collected. */
  private readonly held = new Map<string, number>();

  private constructor(
    readonly root: string,
    readonly content: LocalContentStore,
    readonly snapshotter: Snapshotter,
  ) {}

  static async open(dataRoot: string, opts: { snapshotter?: Snapshotter } = {}): Promise<ImageStore> {
    const root = path.join(dataRoot, 'image');
    await fs.mkdir(path.join(root, 'images'), { recursive: true, mode: 0o700 });
    await fs.rm(path.join(root, 'tmp'), { recursive: true, force: true });
    await fs.mkdir(path.join(root, 'tmp'), { mode: 0o700 });
    const content = await LocalContentStore.open(path.join(root, 'content'));
    const snapshotter = opts.snapshotter ?? (await OverlaySnapshotter.open(dataRoot));
    const store = new ImageStore(root, content, snapshotter);
    await store.loadState();
    return store;
  }

  private async loadState(): Promise<void> {
    for (const name of await fs.readdir(path.join(this.root, 'images'))) {
      if (!/^[a-f0-9]{64}\.json$/.test(name)) continue;
      let meta: ImageMeta;
      let config: ImageConfigBlob;
      try {
        meta = JSON.parse(await fs.readFile(path.join(this.root, 'images', name), 'utf8')) as ImageMeta;
        config = JSON.parse((await this.content.readBuffer(meta.id)).toString('utf8')) as ImageConfigBlob;
      } catch (err) {
        // config lost, or a record or config a power cut cut short (a build's, written unflushed):
        // the image is unusable
        if (isKind(err, 'NotFound') || err instanceof SyntaxError) continue;
        throw err;
      }
      this.images.set(meta.id, { config, meta, size: await this.sizeOf(meta.diffIDs) });
    }
    let repos: { Repositories?: Record<string, Record<string, string>> } = {};
    try {
      repos = JSON.parse(await fs.readFile(path.join(this.root, 'repositories.json'), 'utf8')) as typeof repos;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    for (const byRef of Object.values(repos.Repositories ?? {})) {
      for (const [s, id] of Object.entries(byRef)) {
        if (this.images.has(id)) this.refs.set(s, { ref: parseNormalizedNamed(s), id });
      }
    }
  }

  private async sizeOf(diffIDs: string[]): Promise<number> {
    let size = 0;
    for (const d of new Set(diffIDs)) size += await this.snapshotter.layerSize(d).catch(() => 0);
    return size;
  }

  private async persistRefs(): Promise<void> {
    const repos: Record<string, Record<string, string>> = {};
    for (const [s, { ref, id }] of [...this.refs].sort(([a], [b]) => byCodePoint(a, b))) {
      (repos[fullName(ref)] ??= {})[s] = id;
    }
    await writeFileAtomic(path.join(this.root, 'repositories.json'), JSON.stringify({ Repositories: repos }));
  }

  private async persistMeta(meta: ImageMeta, sync = true): Promise<void> {
    await writeFileAtomic(path.join(this.root, 'images', `${meta.id.slice(7)}.json`), JSON.stringify(meta), { sync });
  }

  // ---- lookups ----------------------------------------------------------------------------------

  /** Resolves an id, id prefix or reference to an image id, as Docker's GetImage. */
  private lookup(refOrId: string): string {
    const any = parseAnyReference(refOrId);
    if (any.kind === 'id') {
      if (this.images.has(any.id)) return any.id;
      throw notFound(`No such image: ${any.id}`);
    }
    const named = withDefaultTag(any.ref);
    const hit = this.refs.get(refString(named));
    if (hit) return hit.id;
    const hex = refOrId.startsWith('sha256:') ? refOrId.slice(7) : refOrId;
    if (/^[a-f0-9]+$/.test(hex)) {
      const matches = [...this.images.keys()].filter((id) => id.startsWith(`sha256:${hex}`));
      if (matches.length === 1) return matches[0]!;
    }
    throw notFound(`No such image: ${familiarString(named)}`);
  }

  private refsOf(id: string): NamedRef[] {
    return [...this.refs.values()].filter((r) => r.id === id).map((r) => r.ref);
  }

  private record(id: string): ImageRecord {
    const img = this.images.get(id);
    if (!img) throw notFound(`No such image: ${id}`);
    // Docker lists references sorted by their familiar form (moby reference store's lexicalRefs).
    const refs = this.refsOf(id).sort((a, b) => (familiarString(a) < familiarString(b) ? -1 : 1));
    const rec: ImageRecord = {
      id,
      config: img.config,
      diffIDs: img.meta.diffIDs,
      repoTags: refs.filter((r) => r.digest === undefined).map(familiarString),
      repoDigests: refs.filter((r) => r.digest !== undefined).map(familiarString),
      size: img.size,
    };
    if (img.meta.lastTagTime) rec.lastTagTime = img.meta.lastTagTime;
    if (img.meta.parent && this.images.has(img.meta.parent)) rec.parent = img.meta.parent;
    return rec;
  }

  /** NotFound `No such image: <ref>`; InvalidArgument for a malformed reference. */
  resolve(refOrId: string): ImageRecord {
    return this.record(this.lookup(refOrId));
  }

  /** All images, newest first. */
  list(): ImageRecord[] {
    return [...this.images.keys()]
      .map((id) => this.record(id))
      .sort((a, b) => byCodePoint(b.config.created ?? '', a.config.created ?? '') || byCodePoint(a.id, b.id));
  }

  inspect(refOrId: string): ImageInspect {
    const img = this.resolve(refOrId);
    return toInspect(img, img.diffIDs.map((d) => this.snapshotter.layerPath(d)));
  }

  /**
   * GET /images/json. Without `all`, intermediate images (untagged, with a child built on them) are
   * left out, as Docker does.
   */
  summaries(opts: SummaryOptions = {}): ImageSummary[] {
    const parents = new Set<string>();
    if (!opts.all) for (const i of this.images.values()) if (i.meta.parent) parents.add(i.meta.parent);
    const shown = this.list().filter((r) => opts.all || r.repoTags.length || r.repoDigests.length || !parents.has(r.id));
    return filterImages(shown, opts.filters ?? {}, (r) => this.resolve(r)).map(toSummary);
  }

  /** Normalized tagged references of a repository (`docker.io/library/busybox:latest`, ...). */
  referencesByName(name: string): string[] {
    const want = fullName(parseNormalizedNamed(name));
    return [...this.refs.values()].filter((r) => fullName(r.ref) === want && r.ref.tag !== undefined).map((r) => refString(r.ref)).sort();
  }

  /** `docker history`: see historyOf. */
  async history(refOrId: string): Promise<HistoryItem[]> {
    const img = this.resolve(refOrId);
    const sizes = new Map<string, number>();
    for (const d of img.diffIDs) sizes.set(d, await this.snapshotter.layerSize(d).catch(() => 0));
    return historyOf(img, (d) => sizes.get(d) ?? 0, (id) => (this.images.has(id) ? this.record(id) : undefined));
  }

  /** The image a reference names now, if any (no error for a missing or malformed one). */
  currentId(ref: string): string | undefined {
    try {
      return this.refs.get(refString(withDefaultTag(parseNormalizedNamed(ref))))?.id;
    } catch {
      return undefined;
    }
  }

  /** What a push sends of an image: its config bytes as stored and its layers. */
  async pushable(ref: string): Promise<{ id: string; config: Buffer; diffIDs: string[] }> {
    const id = this.lookup(ref);
    return { id, config: await this.content.readBuffer(id), diffIDs: [...this.images.get(id)!.meta.diffIDs] };
  }

  /** Size of a layer's uncompressed tar. */
  layerTarSize(diffID: string): Promise<number> {
    return this.content.size(diffID);
  }

  /** The uncompressed tar of a layer (for save and push). */
  layerTar(diffID: string): Promise<Readable> {
    return this.content.readStream(diffID);
  }

  // ---- references -------------------------------------------------------------------------------

  /** `docker tag`: points `repo[:tag]` (default latest) at the image; returns the familiar reference. */
  async tag(sourceRef: string, repo: string, tag?: string): Promise<string> {
    const ref = repoTagReference(repo, tag);
    return this.mutex.run(async () => {
      const id = this.lookup(sourceRef);
      await this.setRefs(id, [ref], true);
      return familiarString(ref);
    });
  }

  /**
   * Points a reference (tagged or digested, e.g. after a pull) at an image. Returns the id of the image
   * the reference pointed at before, if another one.
   */
  async setReference(reference: string, id: string): Promise<string | undefined> {
    const parsed = parseNormalizedNamed(reference);
    const ref = withDefaultTag(parsed);
    return this.mutex.run(async () => {
      if (!this.images.has(id)) throw notFound(`No such image: ${id}`);
      return this.setRefs(id, [ref], false);
    });
  }

  private async setRefs(id: string, refs: NamedRef[], touch: boolean): Promise<string | undefined> {
    let previous: string | undefined;
    let changed = false;
    for (const ref of refs) {
      const old = this.refs.get(refString(ref));
      if (old && old.id !== id) previous = old.id;
      if (old?.id !== id) changed = true;
      this.refs.set(refString(ref), { ref, id });
    }
    // a tag that already points there (a rebuild's -t) changes nothing on the disk
    if (changed) await this.persistRefs();
    const img = this.images.get(id)!;
    if (touch) {
      img.meta.lastTagTime = new Date().toISOString();
      if (changed) await this.persistMeta(img.meta);
      else {
        // a tag that already pointed here (a rebuild's -t): only the time changes, written after the
        // answer (in the lock, unless the image went meanwhile); a crash before loses the time alone
        const meta = img.meta;
        void this.mutex.run(async () => {
          if (this.images.get(id)?.meta === meta) await this.persistMeta(meta).catch(() => undefined);
        });
      }
    }
    return previous;
  }

  // ---- adding images ------------------------------------------------------------------------------

  /** Runs `fn` with `diffIDs` protected from garbage collection. */
  async withLayersHeld<T>(diffIDs: string[], fn: () => Promise<T>): Promise<T> {
    for (const d of diffIDs) this.held.set(d, (this.held.get(d) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      for (const d of diffIDs) {
        const n = (this.held.get(d) ?? 1) - 1;
        if (n === 0) this.held.delete(d);
        else this.held.set(d, n);
      }
    }
  }

  /** Whether a layer is complete: unpacked and its tar kept. */
  async hasLayer(diffID: string): Promise<boolean> {
    return (await this.snapshotter.hasLayer(diffID)) && (await this.content.has(diffID));
  }

  /**
   * Stores an uncompressed layer tar (verified against diffID) and unpacks it. Call inside
   * `withLayersHeld` until the image using it is created, or a concurrent GC may remove it. `sync: false`:
   * the unpacked files are not flushed to the disk here (the caller syncs the file system later).
   */
  async ingestLayer(diffID: string, tar: Readable | AsyncIterable<Buffer>, opts: { sync?: boolean } = {}): Promise<{ size: number }> {
    if (!isDigest(diffID)) throw invalidArgument(`invalid diffID: ${JSON.stringify(diffID)}`);
    const [haveTar, haveLayer] = await Promise.all([this.content.has(diffID), this.snapshotter.hasLayer(diffID)]);
    if (haveTar) {
      for await (const _ of tar); // drain
      return this.unpackStored(diffID);
    }
    if (haveLayer) {
      await this.content.write(tar, diffID);
      return { size: await this.snapshotter.layerSize(diffID) };
    }
    // Neither yet: keep the tar and unpack it in one pass over the stream.
    const [forStore, forUnpack] = tee(tar instanceof Readable ? tar : Readable.from(tar));
    // hashed once: the content store checks the digest as it writes, the unpack takes its result
    const storing = this.content.write(forStore, diffID);
    const digest = storing.then((r) => r.digest);
    digest.catch(() => undefined);
    const [stored, unpacked] = await Promise.allSettled([storing, this.snapshotter.applyLayer(diffID, forUnpack, { ...opts, digest })]);
    if (unpacked.status === 'rejected') {
      if (stored.status === 'fulfilled') await this.dropUnreferencedTar(diffID);
      throw stored.status === 'rejected' && !isKind(unpacked.reason, 'InvalidArgument') ? stored.reason : unpacked.reason;
    }
    if (stored.status === 'rejected') throw stored.reason;
    return unpacked.value;
  }

  /**
   * Ingests a layer tar whose digest is not known yet (a build step's diff, packed as it streams in):
   * stored and unpacked in one pass. The layer is held (see withLayersHeld) until `release` is called.
   */
  async ingestLayerStream(tar: Readable, opts: { sync?: boolean } = {}): Promise<{ diffID: string; size: number; release: () => void }> {
    const [forStore, forUnpack] = tee(tar);
    // the content store hashes the tar as it writes it: the unpack takes that digest
    const storing = this.content.write(forStore, undefined, opts);
    const digest = storing.then((r) => r.digest);
    digest.catch(() => undefined);
    const [stored, unpacked] = await Promise.allSettled([storing, this.snapshotter.applyLayer(undefined, forUnpack, { ...opts, digest })]);
    if (stored.status === 'rejected' || unpacked.status === 'rejected') {
      if (stored.status === 'fulfilled') await this.dropUnreferencedTar(stored.value.digest);
      throw unpacked.status === 'rejected' ? unpacked.reason : (stored as PromiseRejectedResult).reason;
    }
    const diffID = unpacked.value.diffID;
    this.held.set(diffID, (this.held.get(diffID) ?? 0) + 1);
    if (stored.value.digest !== diffID) throw internal(`layer ${diffID} was stored as ${stored.value.digest}`);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const n = (this.held.get(diffID) ?? 1) - 1;
      if (n === 0) this.held.delete(diffID);
      else this.held.set(diffID, n);
    };
    return { diffID, size: unpacked.value.size, release };
  }

  private async dropUnreferencedTar(diffID: string): Promise<void> {
    const referenced = [...this.images.values()].some((i) => i.meta.diffIDs.includes(diffID));
    if (!referenced) await this.content.delete(diffID).catch(() => {});
  }

  private async unpackStored(diffID: string): Promise<{ size: number }> {
    if (await this.snapshotter.hasLayer(diffID)) return { size: await this.snapshotter.layerSize(diffID) };
    try {
      return await this.snapshotter.applyLayer(diffID, await this.content.readStream(diffID));
    } catch (err) {
      // The layer was refused (bad digest or unsafe): drop its tar unless an image already has it.
      await this.dropUnreferencedTar(diffID);
      throw err;
    }
  }

  /**
   * Records an image from its config blob; every layer must have been ingested. `parent`: the image it
   * was made from (builds), kept when that image exists. `sync: false`: its files are not flushed here
   * (a build syncs the file system once, before it tags its result; a record a power cut damaged is
   * skipped at the next start).
   */
  async createImage(config: Buffer, opts: { parent?: string; sync?: boolean } = {}): Promise<ImageRecord> {
    let parsed: ImageConfigBlob;
    try {
      parsed = JSON.parse(config.toString('utf8')) as ImageConfigBlob;
    } catch (err) {
      throw invalidArgument('invalid image config: not JSON', err);
    }
    const diffIDs = parsed.rootfs?.diff_ids;
    if (parsed.rootfs?.type !== 'layers' || !Array.isArray(diffIDs) || !diffIDs.every((d) => typeof d === 'string' && isDigest(d))) {
      throw invalidArgument('invalid image config: bad rootfs');
    }
    if (typeof parsed.os !== 'string' || typeof parsed.architecture !== 'string') {
      throw invalidArgument('invalid image config: missing os or architecture');
    }
    for (const d of diffIDs) {
      if (!(await this.hasLayer(d))) throw invalidArgument(`invalid image config: layer ${d} is missing`);
    }
    return this.mutex.run(async () => {
      const { digest: id } = await this.content.writeBuffer(config, undefined, { sync: opts.sync });
      const existing = this.images.get(id);
      if (existing) return this.record(id);
      const meta: ImageMeta = { id, diffIDs: [...diffIDs], added: new Date().toISOString() };
      if (opts.parent && this.images.has(opts.parent)) meta.parent = opts.parent;
      await this.persistMeta(meta, opts.sync);
      this.images.set(id, { config: parsed, meta, size: await this.sizeOf(diffIDs) });
      return this.record(id);
    });
  }

  /** `docker import`: the (possibly gzipped) tar becomes the single layer of a new image. */
  async importRootfs(input: Readable | AsyncIterable<Buffer>, opts: ImportOptions = {}): Promise<ImageRecord> {
    const ref = opts.repo ? repoTagReference(opts.repo, opts.tag) : undefined;
    const containerConfig = applyChanges({}, opts.changes ?? []);
    const [os = 'linux', architecture = goArch(), variant] = (opts.platform ?? '').split('/').map((s) => s || undefined);
    if (os !== 'linux') throw invalidArgument(`operating system is not supported: ${os}`);
    const tar = await maybeDecompress(input);
    // a body that does not decompress is the client's error (a failing disk is not)
    const { digest: diffID } = await this.content.write(tar).catch((e: unknown) => {
      throw e instanceof BerthError || /^E[A-Z]+$/.test(errnoCode(e) ?? '') ? e : invalidArgument(`invalid archive: ${(e as Error).message}`, e);
    });
    return this.withLayersHeld([diffID], async () => {
      await this.unpackStored(diffID);
      const created = new Date().toISOString();
      const message = opts.message || 'Imported from -';
      const config: ImageConfigBlob = {
        architecture,
        os,
        ...(variant ? { variant } : {}),
        created,
        comment: message,
        config: containerConfig,
        rootfs: { type: 'layers', diff_ids: [diffID] },
        history: [{ created, comment: message }],
      };
      const rec = await this.createImage(Buffer.from(JSON.stringify(config)));
      if (!ref) return rec;
      await this.mutex.run(() => this.setRefs(rec.id, [ref], true));
      return this.record(rec.id);
    });
  }

  /** Directory for temporary work of this store (archive extraction). */
  tmpDir(): string {
    return path.join(this.root, 'tmp');
  }

  // ---- removal ------------------------------------------------------------------------------------

  /** `docker rmi`, with Docker's semantics and conflict messages (moby daemon/images/image_delete.go). */
  async remove(refOrId: string, opts: RemoveOptions = {}, usedBy: UsedBy = () => []): Promise<ImageDeleteResponseItem[]> {
    const force = opts.force === true;
    return this.mutex.run(async () => {
      const id = this.lookup(refOrId);
      const users = () => usedBy(id).map((u) => (typeof u === 'string' ? { id: u, running: false } : u));
      const records: ImageDeleteResponseItem[] = [];
      let repoRefs = this.refsOf(id);
      let quiet = false;
      if (!isImageIDPrefix(id, refOrId)) {
        if (!force && isSingleReference(repoRefs)) {
          const c = users()[0];
          if (c) {
            throw conflict(
              `conflict: unable to remove repository reference "${refOrId}" (must force) - container ${shortId(c.id)} is using its referenced image ${shortId(id)}`,
            );
          }
        }
        const parsed = withDefaultTag(parseNormalizedNamed(refOrId));
        this.refs.delete(refString(parsed));
        records.push({ Untagged: familiarString(parsed) });
        repoRefs = this.refsOf(id);
        // Removing the last tag of a repository also removes its digest references.
        if (parsed.digest === undefined && !repoRefs.some((r) => r.digest === undefined && fullName(r) === fullName(parsed))) {
          for (const r of repoRefs.filter((r) => r.digest !== undefined && fullName(r) === fullName(parsed))) {
            this.refs.delete(refString(r));
            records.push({ Untagged: familiarString(r) });
          }
          repoRefs = this.refsOf(id);
        }
        await this.persistRefs();
        if (repoRefs.length > 0) return records;
        quiet = true;
      } else if (isSingleReference(repoRefs)) {
        const c = this.deleteConflict(id, users(), { running: true, references: false, stopped: !force });
        if (c) throw conflictError(id, c);
        for (const r of repoRefs) {
          this.refs.delete(refString(r));
          records.push({ Untagged: familiarString(r) });
        }
        await this.persistRefs();
      }
      const c = this.deleteConflict(id, users(), { running: true, references: !force, stopped: !force });
      if (c) {
        // an untag that leaves an image still in use (a tag, a child, a container) ends there quietly
        if (quiet && (this.refsOf(id).length > 0 || this.hasChildren(id) || c.used)) return records;
        throw conflictError(id, c);
      }
      for (const r of this.refsOf(id)) {
        this.refs.delete(refString(r));
        records.push({ Untagged: familiarString(r) });
      }
      await this.persistRefs();
      let parent = await this.deleteImage(id, records);
      // `prune` (unless noprune): the untagged parents (a build's intermediate images) go too, up to the
      // first one that something else still uses: a tag, a container or another child (as dockerd does,
      // quietly)
      while (opts.prune && parent && this.images.has(parent)) {
        const p = parent;
        if (this.refsOf(p).length || usedBy(p).length || this.hasChildren(p)) break;
        parent = await this.deleteImage(p, records);
      }
      return records;
    });
  }

  private hasChildren(id: string): boolean {
    for (const i of this.images.values()) if (i.meta.parent === id) return true;
    return false;
  }

  /** Deletes an image and the layers only it used, recording both; returns its parent. Call in the mutex. */
  private async deleteImage(id: string, records: ImageDeleteResponseItem[]): Promise<string | undefined> {
    const img = this.images.get(id)!;
    this.images.delete(id);
    await fs.rm(path.join(this.root, 'images', `${id.slice(7)}.json`), { force: true });
    await this.content.delete(id);
    records.push({ Deleted: id });
    const removed = new Set(await this.gcLayers(img.meta.diffIDs, await this.snapshotter.usedLayers()));
    const chains = chainIDs(img.meta.diffIDs);
    img.meta.diffIDs.forEach((d, i) => {
      if (removed.has(d)) records.push({ Deleted: chains[i]! });
    });
    return img.meta.parent;
  }

  private deleteConflict(id: string, users: ImageUser[], check: ConflictCheck): Conflict | undefined {
    return deleteConflict(users, check, { hasChildren: this.hasChildren(id), referenced: this.refsOf(id).length > 0 });
  }

  /** Removes those of `candidates` that no image, active snapshot or ongoing ingest uses. Call in the mutex. */
  private async gcLayers(candidates: Iterable<string>, usedBySnapshots: Set<string>): Promise<string[]> {
    const referenced = new Set([...this.images.values()].flatMap((i) => i.meta.diffIDs));
    const removed: string[] = [];
    for (const d of new Set(candidates)) {
      if (referenced.has(d) || usedBySnapshots.has(d) || this.held.has(d)) continue;
      try {
        await this.snapshotter.removeLayer(d);
      } catch (err) {
        if (isKind(err, 'Conflict')) continue;
        throw err;
      }
      await this.content.delete(d);
      removed.push(d);
    }
    return removed;
  }

  /** Removes those of `candidates` that nothing uses any more (after a failed load). */
  async collectLayers(candidates: string[]): Promise<string[]> {
    return this.mutex.run(async () => this.gcLayers(candidates, await this.snapshotter.usedLayers()));
  }

  /**
   * Removes layers and blobs nothing refers to (left by force-removed images once their containers are
   * gone, or by interrupted operations). Returns the removed layer diffIDs. Call at boot and after
   * removing containers.
   */
  async prune(): Promise<string[]> {
    return this.mutex.run(async () => {
      const used = await this.snapshotter.usedLayers();
      const removed = await this.gcLayers(await this.snapshotter.listLayers(), used);
      const keep = new Set([...this.images.keys(), ...[...this.images.values()].flatMap((i) => i.meta.diffIDs), ...used, ...this.held.keys()]);
      for (const { digest } of await this.content.list()) {
        if (!keep.has(digest) && !(await this.snapshotter.hasLayer(digest))) await this.content.delete(digest);
      }
      return removed;
    });
  }
}
