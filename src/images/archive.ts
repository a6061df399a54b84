/**
 * `docker load` and `docker save` archives.
 *
 * save writes what Docker 25+ writes: an OCI image layout (oci-layout, index.json, blobs/sha256/...) that
 * also carries Docker's manifest.json and legacy `repositories`, so both `docker load` and OCI tools read
 * it. Layer blobs are the uncompressed layer tars kept in the content store at ingest time (keyed by
 * diffID), so a save is byte-exact and the config's diff_ids hold without re-tarring.
 *
 * load accepts that format, Docker's older save format (manifest.json with `<id>/layer.tar` paths,
 * possibly symlinked), and plain OCI layouts (names from `io.containerd.image.name` or a full reference
 * in `org.opencontainers.image.ref.name`). Layers may be gzipped. The archive is first extracted under
 * the store's tmp dir: only regular files and directories are written there; symlinks and hardlinks are
 * kept in a table and resolved lexically inside the archive, so nothing can point outside it. Entries with
 * absolute or `..` names are refused. Every layer is verified against the config's diff_ids (and blobs
 * against their descriptor digests) before its image is recorded.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { constants as C } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import type { ImageConfigBlob } from '../api/types.js';
import { isDigest } from '../content/index.js';
import { errnoCode, invalidArgument } from '../core/errors.js';
import { familiarName, familiarString, parseAnyReference, parseNormalizedNamed, refString, withDefaultTag, type NamedRef } from '../core/reference.js';
import type { ImageRecord } from './record.js';
import type { ImageStore } from './store.js';
import { maybeDecompress } from './streams.js';
import { goArch } from '../core/platform.js';

const MT_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const MT_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MT_OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const MT_OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
const MT_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const ANNOTATION_NAME = 'io.containerd.image.name';
const ANNOTATION_REF = 'org.opencontainers.image.ref.name';
const EPOCH = new Date(0);

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string };
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function archiveComponents(name: string): string[] {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (name.startsWith('/') || parts.includes('..')) {
    throw invalidArgument(`invalid archive entry ${JSON.stringify(name)}: path escapes the archive`);
  }
  return parts;
}

/** An extracted archive: files on disk, links in a table resolved lexically inside the archive root. */
class ArchiveDir {
  constructor(
    readonly dir: string,
    private readonly links: Map<string, string>,
  ) {}

  static async extract(input: Readable, dir: string): Promise<ArchiveDir> {
    const links = new Map<string, string>();
    const extract = tar.extract();
    const feeding = pipeline(input, extract);
    feeding.catch(() => {});
    try {
      for await (const entry of extract) {
        const h = entry.header;
        const rel = archiveComponents(h.name).join('/');
        if (rel === '') {
          // the root itself
        } else if (h.type === 'directory') {
          await fs.mkdir(path.join(dir, rel), { recursive: true });
        } else if (h.type === 'file' || h.type === 'contiguous-file') {
          const p = path.join(dir, rel);
          await fs.mkdir(path.dirname(p), { recursive: true });
          await fs.rm(p, { force: true });
          links.delete(rel);
          const fh = await fs.open(p, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
          try {
            for await (const chunk of entry as AsyncIterable<Buffer>) await fh.write(chunk);
          } finally {
            await fh.close();
          }
        } else if (h.type === 'symlink') {
          links.set(rel, h.linkname);
        } else if (h.type === 'link') {
          links.set(rel, '/' + archiveComponents(h.linkname).join('/'));
        }
        for await (const _ of entry as AsyncIterable<unknown>); // drain what was not read
      }
      await feeding;
    } catch (err) {
      extract.destroy();
      await feeding.catch(() => {});
      throw err;
    }
    return new ArchiveDir(dir, links);
  }

  /** The on-disk path of an archive member, following the archive's own links (never leaving it). */
  resolve(name: string): string {
    let pending = name.split('/');
    let out: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const c = pending.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        out.pop();
        continue;
      }
      out.push(c);
      const target = this.links.get(out.join('/'));
      if (target !== undefined) {
        if (++hops > 40) throw invalidArgument(`invalid archive: too many levels of links at ${JSON.stringify(name)}`);
        out.pop();
        if (target.startsWith('/')) out = [];
        pending = [...target.split('/'), ...pending];
      }
    }
    return path.join(this.dir, ...out);
  }

  async exists(name: string): Promise<boolean> {
    return fs.stat(this.resolve(name)).then(
      (st) => st.isFile(),
      () => false,
    );
  }

  async read(name: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.resolve(name));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'EISDIR') throw invalidArgument(`invalid archive: ${name} is missing`);
      throw err;
    }
  }

  async json<T>(name: string): Promise<T> {
    try {
      return JSON.parse((await this.read(name)).toString('utf8')) as T;
    } catch (err) {
      if (err instanceof SyntaxError) throw invalidArgument(`invalid archive: ${name} is not valid JSON`);
      throw err;
    }
  }

  async stream(name: string): Promise<Readable> {
    const fh = await fs.open(this.resolve(name), C.O_RDONLY).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') throw invalidArgument(`invalid archive: ${name} is missing`);
      throw err;
    });
    return fh.createReadStream();
  }

  blobPath(digest: string): string {
    if (!isDigest(digest)) throw invalidArgument(`invalid archive: unsupported digest ${JSON.stringify(digest)}`);
    return `blobs/sha256/${digest.slice(7)}`;
  }

  async blob(digest: string): Promise<Buffer> {
    const buf = await this.read(this.blobPath(digest));
    const got = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
    if (got !== digest) throw invalidArgument(`invalid archive: blob ${digest} has digest ${got}`);
    return buf;
  }

  /** A blob as a stream that fails at its end unless its digest is right. */
  async blobStream(digest: string): Promise<Readable> {
    const hash = createHash('sha256');
    const check = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
      flush(cb) {
        const got = `sha256:${hash.digest('hex')}`;
        cb(got === digest ? null : invalidArgument(`invalid archive: blob ${digest} has digest ${got}`));
      },
    });
    pipeline(await this.stream(this.blobPath(digest)), check).catch(() => {});
    return check;
  }
}

function parseConfig(buf: Buffer): string[] {
  let cfg: ImageConfigBlob;
  try {
    cfg = JSON.parse(buf.toString('utf8')) as ImageConfigBlob;
  } catch {
    throw invalidArgument('invalid archive: image config is not valid JSON');
  }
  const ids = cfg.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string' && isDigest(d))) {
    throw invalidArgument('invalid archive: image config has bad diff_ids');
  }
  return ids;
}

/** Ingests the layers (skipping known ones) and records the image; layers are held until then. */
async function addImage(
  store: ImageStore,
  config: Buffer,
  openLayer: (i: number) => Promise<Readable>,
  layerCount: number,
): Promise<ImageRecord> {
  const diffIDs = parseConfig(config);
  if (diffIDs.length !== layerCount) {
    throw invalidArgument(`invalid manifest, layers length mismatch: expected ${diffIDs.length}, got ${layerCount}`);
  }
  return store.withLayersHeld(diffIDs, async () => {
    try {
      for (const [i, d] of diffIDs.entries()) {
        if (!(await store.hasLayer(d))) await store.ingestLayer(d, await maybeDecompress(await openLayer(i)));
      }
      return await store.createImage(config);
    } catch (err) {
      await store.collectLayers(diffIDs).catch(() => {});
      throw err;
    }
  });
}

async function tagLoaded(store: ImageStore, id: string, refs: NamedRef[], onMessage: (l: string) => void): Promise<void> {
  for (const ref of refs) {
    const old = await store.setReference(refString(ref), id);
    if (old) onMessage(`The image ${familiarString(ref)} already exists, renaming the old one with ID ${old} to empty string`);
    onMessage(`Loaded image: ${familiarString(ref)}`);
  }
  if (refs.length === 0) onMessage(`Loaded image ID: ${id}`);
}

async function loadDocker(store: ImageStore, arc: ArchiveDir, onMessage: (l: string) => void): Promise<string[]> {
  const manifest = await arc.json<DockerManifestEntry[]>('manifest.json');
  if (!Array.isArray(manifest)) throw invalidArgument('invalid archive: manifest.json is not a list');
  const ids: string[] = [];
  for (const m of manifest) {
    if (typeof m?.Config !== 'string' || !Array.isArray(m.Layers) || !m.Layers.every((l) => typeof l === 'string')) {
      throw invalidArgument('invalid archive: bad manifest.json entry');
    }
    const refs = (m.RepoTags ?? []).map((t) => {
      const r = parseNormalizedNamed(String(t));
      if (r.tag === undefined || r.digest !== undefined) throw invalidArgument(`invalid tag ${JSON.stringify(t)}`);
      return r;
    });
    const rec = await addImage(store, await arc.read(m.Config), (i) => arc.stream(m.Layers[i]!), m.Layers.length);
    await tagLoaded(store, rec.id, refs, onMessage);
    ids.push(rec.id);
  }
  return ids;
}

interface OciManifest {
  config: Descriptor;
  layers: Descriptor[];
}

/** Follows nested indexes down to one manifest, preferring this machine's platform. */
async function resolveManifest(arc: ArchiveDir, desc: Descriptor, depth = 0): Promise<OciManifest> {
  if (depth > 4) throw invalidArgument('invalid archive: indexes nested too deeply');
  const doc = JSON.parse((await arc.blob(desc.digest)).toString('utf8')) as {
    mediaType?: string;
    manifests?: Descriptor[];
    config?: Descriptor;
    layers?: Descriptor[];
  };
  const mt = doc.mediaType ?? desc.mediaType;
  if (mt === MT_OCI_INDEX || mt === MT_DOCKER_LIST || Array.isArray(doc.manifests)) {
    const list = (doc.manifests ?? []).filter((m) => m.platform?.os !== 'unknown');
    const pick =
      list.find((m) => m.platform?.os === 'linux' && m.platform.architecture === goArch()) ?? (list.length === 1 ? list[0] : undefined);
    if (!pick) throw invalidArgument(`invalid archive: no image for linux/${goArch()} in ${desc.digest}`);
    return resolveManifest(arc, pick, depth + 1);
  }
  if (!doc.config || !Array.isArray(doc.layers)) throw invalidArgument(`invalid archive: ${desc.digest} is not an image manifest`);
  return { config: doc.config, layers: doc.layers };
}

/** The name an OCI layout gives a manifest, if it is a full reference. */
function ociName(desc: Descriptor): NamedRef | undefined {
  const name = desc.annotations?.[ANNOTATION_NAME] ?? desc.annotations?.[ANNOTATION_REF];
  if (!name || !/[:/]/.test(name)) return undefined; // a bare tag names nothing on its own
  const r = parseNormalizedNamed(name);
  return r.digest === undefined ? withDefaultTag(r) : undefined;
}

async function loadOci(store: ImageStore, arc: ArchiveDir, onMessage: (l: string) => void): Promise<string[]> {
  const index = await arc.json<{ manifests?: Descriptor[] }>('index.json');
  if (!Array.isArray(index.manifests)) throw invalidArgument('invalid archive: index.json has no manifests');
  const ids: string[] = [];
  for (const desc of index.manifests) {
    const m = await resolveManifest(arc, desc);
    for (const l of m.layers) {
      if (/zstd/.test(l.mediaType ?? '')) throw invalidArgument(`unsupported layer media type ${l.mediaType}`);
    }
    const rec = await addImage(store, await arc.blob(m.config.digest), (i) => arc.blobStream(m.layers[i]!.digest), m.layers.length);
    const ref = ociName(desc);
    await tagLoaded(store, rec.id, ref ? [ref] : [], onMessage);
    if (!ids.includes(rec.id)) ids.push(rec.id);
  }
  return ids;
}

/** `docker load`: see the module comment. Returns the ids of the images loaded. */
export async function loadArchive(
  store: ImageStore,
  input: Readable | AsyncIterable<Buffer>,
  onMessage: (line: string) => void,
): Promise<string[]> {
  const dir = await fs.mkdtemp(path.join(store.tmpDir(), 'load-'));
  try {
    const arc = await ArchiveDir.extract(await maybeDecompress(input), dir);
    if (await arc.exists('manifest.json')) return await loadDocker(store, arc, onMessage);
    if (await arc.exists('index.json')) return await loadOci(store, arc, onMessage);
    if (await arc.exists('repositories')) throw invalidArgument('loading legacy (pre-1.10) image archives is not supported');
    throw invalidArgument('invalid archive: no manifest.json or index.json');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Which images to save, each with the tags to record (Docker's save: a bare repository name means all its tags). */
function planSave(store: ImageStore, refs: string[]): Map<string, NamedRef[]> {
  const plan = new Map<string, NamedRef[]>();
  const add = (id: string, ref?: NamedRef) => {
    const list = plan.get(id) ?? [];
    if (ref && !list.some((r) => refString(r) === refString(ref))) list.push(ref);
    plan.set(id, list);
  };
  for (const r of refs) {
    const any = parseAnyReference(r);
    if (any.kind === 'named' && any.ref.tag === undefined && any.ref.digest === undefined) {
      const tagged = store.referencesByName(r);
      if (tagged.length > 0) {
        for (const t of tagged) add(store.resolve(t).id, parseNormalizedNamed(t));
        continue;
      }
    }
    const rec = store.resolve(r);
    if (any.kind === 'named' && any.ref.digest === undefined) {
      const tagged = withDefaultTag(any.ref);
      add(rec.id, rec.repoTags.includes(familiarString(tagged)) ? tagged : undefined);
    } else {
      add(rec.id);
    }
  }
  return plan;
}

/** `docker save`: see the module comment. References are resolved before anything is written. */
export async function saveArchive(store: ImageStore, refs: string[], out: Writable): Promise<void> {
  const plan = planSave(store, refs);
  const pack = tar.pack();
  const piping = pipeline(Readable.from(pack), out);
  piping.catch(() => {});
  const header = (name: string, size: number) => ({ name, size, mode: 0o644, mtime: EPOCH, type: 'file' as const });
  const addBuffer = (name: string, data: string | Buffer) =>
    new Promise<void>((resolve, reject) => {
      const buf = Buffer.from(data);
      pack.entry(header(name, buf.length), buf, (err) => (err ? reject(err) : resolve())).on('error', () => undefined);
    });
  const addStream = (name: string, size: number, src: Readable) =>
    new Promise<void>((resolve, reject) => {
      const sink = pack.entry(header(name, size), (err) => (err ? reject(err) : resolve()));
      // a pack destroyed under the entry (the client went away) errors the entry too: the callback has it
      sink.on('error', () => undefined);
      (async () => {
        for await (const chunk of src) if (!sink.write(chunk as Buffer)) await once(sink, 'drain');
        sink.end(undefined);
      })().catch((err: unknown) => {
        sink.destroy(err as Error);
        reject(err as Error);
      });
    });
  const addDir = (name: string) =>
    new Promise<void>((resolve, reject) => {
      pack.entry({ name, type: 'directory', mode: 0o755, mtime: EPOCH }, (err) => (err ? reject(err) : resolve())).on('error', () => undefined);
    });

  try {
    await addDir('blobs/');
    await addDir('blobs/sha256/');
    const written = new Set<string>();
    const manifestJson: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
    const indexManifests: Descriptor[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const [id, tags] of plan) {
      const rec = store.resolve(id);
      const layers: Descriptor[] = [];
      for (const d of rec.diffIDs) {
        const size = await store.content.size(d);
        if (!written.has(d)) {
          await addStream(`blobs/sha256/${d.slice(7)}`, size, await store.layerTar(d));
          written.add(d);
        }
        layers.push({ mediaType: MT_OCI_LAYER, digest: d, size });
      }
      const config = await store.content.readBuffer(id);
      if (!written.has(id)) {
        await addBuffer(`blobs/sha256/${id.slice(7)}`, config);
        written.add(id);
      }
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MT_OCI_MANIFEST,
          config: { mediaType: MT_OCI_CONFIG, digest: id, size: config.length },
          layers,
        }),
      );
      const mdigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
      if (!written.has(mdigest)) {
        await addBuffer(`blobs/sha256/${mdigest.slice(7)}`, manifest);
        written.add(mdigest);
      }
      const desc: Descriptor = { mediaType: MT_OCI_MANIFEST, digest: mdigest, size: manifest.length };
      if (tags.length === 0) indexManifests.push(desc);
      for (const t of tags) {
        indexManifests.push({ ...desc, annotations: { [ANNOTATION_NAME]: refString(t), [ANNOTATION_REF]: t.tag! } });
        const top = rec.diffIDs[rec.diffIDs.length - 1];
        if (top) (repositories[familiarName(t)] ??= {})[t.tag!] = top.slice(7);
      }
      manifestJson.push({
        Config: `blobs/sha256/${id.slice(7)}`,
        RepoTags: tags.length > 0 ? tags.map(familiarString) : null,
        Layers: rec.diffIDs.map((d) => `blobs/sha256/${d.slice(7)}`),
      });
    }
    await addBuffer('index.json', JSON.stringify({ schemaVersion: 2, mediaType: MT_OCI_INDEX, manifests: indexManifests }));
    await addBuffer('manifest.json', JSON.stringify(manifestJson));
    await addBuffer('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    if (Object.keys(repositories).length > 0) await addBuffer('repositories', JSON.stringify(repositories));
    pack.finalize();
    await piping;
  } catch (err) {
    pack.destroy(err as Error);
    await piping.catch(() => {});
    throw err;
  }
}
