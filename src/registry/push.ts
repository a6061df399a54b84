/**
 * `docker push`: for each tag, make sure the registry has every layer and the config, then put a Docker
 * v2 schema 2 manifest. A layer is not uploaded when the registry already has it under a digest we know
 * from an earlier pull or push (HEAD), or can mount it from another repository on the same registry;
 * otherwise it is gzip-compressed on the fly (deterministically, so the same layer always yields the
 * same blob and a re-push the same manifest digest) and streamed in one PATCH, resumed from the
 * registry's offset if the connection breaks. Five layers go at a time, as dockerd.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { invalidArgument, notFound } from '../core/errors.js';
import { familiarName, fullName, type NamedRef } from '../core/reference.js';
import type { AuthConfig } from './client/auth.js';
import type { RegistryConfig } from './client/endpoints.js';
import { isTransient } from './client/http.js';
import { MT, type Descriptor } from './client/media.js';
import { RegistryCallError, RegistrySession, type Repository } from './client/repository.js';
import type { DistributionMetadata } from './distmeta.js';
import { shortDigest, type Progress } from './progress.js';
import { eachLimit } from './pull.js';

/** An image as a push needs it. */
export interface PushImage {
  id: string;
  config: Buffer;
  diffIDs: string[];
}

export interface PushStore {
  /** the image a tagged reference names; NotFound otherwise */
  image(ref: string): Promise<PushImage>;
  /** normalized tagged references of a repository (for a push of all tags) */
  tagsOf(name: string): string[];
  layerTar(diffID: string): Promise<Readable>;
  layerSize(diffID: string): Promise<number>;
  setReference(ref: string, id: string): Promise<string | undefined>;
}

export interface PushDeps {
  /** registry answer deadline and idle limit (ms); default 60 s each */
  timeoutMs?: number;
  store: PushStore;
  dist: DistributionMetadata;
  registries: RegistryConfig;
  maxConcurrentUploads?: number;
}

export interface PushOptions {
  creds?: AuthConfig;
  signal?: AbortSignal;
  progress: Progress;
}

const MAX_RESUMES = 3;

/** Docker's manifest JSON (Go's MarshalIndent with three spaces). */
export function schema2Manifest(config: Descriptor, layers: Descriptor[]): Buffer {
  const desc = (d: Descriptor) => ({ mediaType: d.mediaType, size: d.size, digest: d.digest });
  const m = { schemaVersion: 2, mediaType: MT.dockerManifest, config: desc(config), layers: layers.map(desc) };
  return Buffer.from(JSON.stringify(m, null, 3));
}

function translate(err: unknown, ref: NamedRef): unknown {
  if (err instanceof RegistryCallError && (err.status === 401 || err.status === 403)) {
    return Object.assign(err, { message: `denied: requested access to the resource is denied (${err.message})` });
  }
  if (err instanceof RegistryCallError && err.codes.includes('NAME_UNKNOWN')) {
    return notFound(`repository ${familiarName(ref)} not found: ${err.message}`);
  }
  return err;
}

/** Pushes `ref` (with a tag: that tag; without: every tag of the repository). */
export async function push(deps: PushDeps, ref: NamedRef, opts: PushOptions): Promise<void> {
  if (ref.digest !== undefined) throw invalidArgument('cannot push a digest reference');
  const name = fullName(ref);
  const refs = ref.tag !== undefined ? [`${name}:${ref.tag}`] : deps.store.tagsOf(name);
  if (refs.length === 0) throw notFound(`An image does not exist locally with the tag: ${familiarName(ref)}`);
  const images = await Promise.all(refs.map((r) => deps.store.image(r)));
  const p = opts.progress;
  p.status(`The push refers to repository [${name}]`);
  try {
    const [session] = await RegistrySession.connect(ref.domain, deps.registries, 'push', { creds: opts.creds, signal: opts.signal, headerTimeoutMs: deps.timeoutMs, idleTimeoutMs: deps.timeoutMs });
    const repo = session!.repository(ref.path);
    for (let i = 0; i < refs.length; i++) {
      const tag = refs[i]!.slice(refs[i]!.lastIndexOf(':') + 1);
      await pushTag(deps, repo, ref, tag, images[i]!, opts);
    }
  } catch (err) {
    throw translate(err, ref);
  }
}

async function pushTag(deps: PushDeps, repo: Repository, ref: NamedRef, tag: string, img: PushImage, opts: PushOptions): Promise<void> {
  const p = opts.progress;
  const unique = [...new Set(img.diffIDs)];
  for (const d of unique) p.status('Preparing', shortDigest(d));
  const limit = deps.maxConcurrentUploads ?? 5;
  unique.slice(limit).forEach((d) => p.status('Waiting', shortDigest(d)));
  const pushed = new Map<string, Descriptor>();
  await eachLimit(unique, limit, async (diffID) => {
    pushed.set(diffID, await pushLayer(deps, repo, ref, diffID, opts));
  });
  const configDigest = `sha256:${createHash('sha256').update(img.config).digest('hex')}`;
  if ((await repo.statBlob(configDigest)) === undefined) {
    const loc = await repo.startUpload();
    const next = await repo.patchUpload(loc, () => Readable.from([img.config]), img.config.length);
    await repo.finishUpload(next, configDigest);
  }
  const manifest = schema2Manifest(
    { mediaType: MT.dockerConfig, size: img.config.length, digest: configDigest },
    img.diffIDs.map((d) => pushed.get(d)!),
  );
  const digest = await repo.putManifest(tag, MT.dockerManifest, manifest);
  await deps.store.setReference(`${fullName(ref)}@${digest}`, img.id);
  p.status(`${tag}: digest: ${digest} size: ${manifest.length}`);
  p.message({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.length } });
}

async function pushLayer(deps: PushDeps, repo: Repository, ref: NamedRef, diffID: string, opts: PushOptions): Promise<Descriptor> {
  const p = opts.progress;
  const sid = shortDigest(diffID);
  const known = (await deps.dist.get(diffID)).filter((s) => s.registry === ref.domain);
  // 1. the registry has it in this repository under a digest we know
  for (const s of known.filter((k) => k.repository === ref.path)) {
    const size = await repo.statBlob(s.digest);
    if (size !== undefined) {
      p.status('Layer already exists', sid);
      return { mediaType: s.mediaType, size, digest: s.digest };
    }
  }
  // 2. another repository of this registry has it: mount
  let location: string | undefined;
  for (const s of known.filter((k) => k.repository !== ref.path)) {
    const r = await repo.mountBlob(s.digest, s.repository).catch((e: unknown) => {
      if (e instanceof RegistryCallError) return undefined;
      throw e;
    });
    if (!r) continue;
    if (r.mounted) {
      p.status(`Mounted from ${familiarName({ domain: ref.domain, path: s.repository })}`, sid);
      await deps.dist.add(diffID, { ...s, repository: ref.path });
      return { mediaType: s.mediaType, size: s.size, digest: s.digest };
    }
    location = r.location;
    break;
  }
  // 3. compress and upload
  const total = await deps.store.layerSize(diffID);
  location ??= await repo.startUpload();
  const { digest, size } = await uploadCompressed(deps, repo, diffID, location, (n) => p.bytes('Pushing', sid, n, total), opts);
  p.bytes('Pushing', sid, total, total, true);
  p.status('Pushed', sid);
  const desc = { mediaType: MT.dockerLayerGzip, size, digest };
  await deps.dist.add(diffID, { ...desc, registry: ref.domain, repository: ref.path });
  return desc;
}

/** gzip of a layer tar, always the same bytes for the same tar. */
async function compressedLayer(deps: PushDeps, diffID: string, onRaw?: (n: number) => void): Promise<Readable> {
  const tar = await deps.store.layerTar(diffID);
  let n = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      n += chunk.length;
      onRaw?.(n);
      cb(null, chunk);
    },
  });
  const gz = createGzip({ level: 6, chunkSize: 256 << 10 });
  pipeline(tar, counter, gz).catch((e: unknown) => gz.destroy(e as Error));
  return gz;
}

async function uploadCompressed(deps: PushDeps, repo: Repository, diffID: string, location: string, onRaw: (n: number) => void, opts: PushOptions): Promise<{ digest: string; size: number }> {
  let offset = 0;
  for (let attempt = 0; ; attempt++) {
    const hash = createHash('sha256');
    let size = 0;
    const skip = offset;
    const body = await compressedLayer(deps, diffID, onRaw);
    const hashing = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        const start = size;
        size += chunk.length;
        // bytes the registry already holds from an interrupted attempt are not sent again
        if (size <= skip) cb();
        else cb(null, start >= skip ? chunk : chunk.subarray(skip - start));
      },
    });
    body.on('error', (e) => hashing.destroy(e));
    body.pipe(hashing);
    try {
      location = await repo.patchUpload(location, () => hashing);
      const digest = `sha256:${hash.digest('hex')}`;
      await repo.finishUpload(location, digest);
      return { digest, size };
    } catch (err) {
      body.destroy();
      if (opts.signal?.aborted || !isTransient(err) || attempt >= MAX_RESUMES) throw err;
      offset = await repo.uploadOffset(location).catch(() => 0);
      if (offset === 0) location = await repo.startUpload();
    }
  }
}
