/**
 * `docker pull`: resolve the reference on the registry (mirrors first for Docker Hub), pick the platform's
 * manifest from an index, fetch and verify the config, then download the missing layers (three at a
 * time, as dockerd) while verifying, decompressing, keeping and unpacking each in one streaming pass.
 * A layer that fails verification is never stored. The image is recorded and tagged last; progress goes
 * out as Docker's JSON messages.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { invalidArgument, isKind, notFound } from '../core/errors.js';
import { familiarName, familiarString, type NamedRef } from '../core/reference.js';
import type { AuthConfig } from './client/auth.js';
import type { RegistryConfig } from './client/endpoints.js';
import { layerCompression, parseManifest, parsePlatform, platformString, selectManifest, type Descriptor, type ImageManifest } from './client/media.js';
import { RegistryCallError, RegistrySession, type Repository } from './client/repository.js';
import type { DistributionMetadata } from './distmeta.js';
import { shortDigest, type Progress } from './progress.js';
import { decompressor, resumableBlob, verifier } from './streams.js';

/** The image store as a pull needs it. */
export interface PullStore {
  hasLayer(diffID: string): Promise<boolean>;
  ingestLayer(diffID: string, tar: Readable): Promise<{ size: number }>;
  withLayersHeld<T>(diffIDs: string[], fn: () => Promise<T>): Promise<T>;
  createImage(config: Buffer): Promise<{ id: string }>;
  /** points a reference at an image; returns the id it pointed at before, if another */
  setReference(ref: string, id: string): Promise<string | undefined>;
  /** the image a normalized reference names now, if any */
  currentId(ref: string): string | undefined;
}

export interface PullDeps {
  /** registry answer deadline and idle limit (ms); default 60 s each */
  timeoutMs?: number;
  store: PullStore;
  dist: DistributionMetadata;
  registries: RegistryConfig;
  /** this machine's architecture as OCI names it (amd64, arm64) */
  hostArch: string;
  maxConcurrentDownloads?: number;
  log?: (msg: string) => void;
}

export interface PullOptions {
  platform?: string;
  creds?: AuthConfig;
  signal?: AbortSignal;
  progress: Progress;
}

const MAX_CONFIG_BYTES = 8 << 20;

/** Runs `fn` over items with at most `n` at once; the first failure stops new work and is thrown. */
export async function eachLimit<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

/** Docker's wording for a reference the registry does not have or will not show. */
function translate(err: unknown, ref: NamedRef, tagOrDigest: string): unknown {
  if (!(err instanceof RegistryCallError)) return err;
  const name = familiarName(ref);
  if (err.codes.includes('MANIFEST_UNKNOWN') || (err.status === 404 && err.codes.length === 0)) {
    return notFound(`manifest for ${name}${tagOrDigest.startsWith('sha256:') ? '@' : ':'}${tagOrDigest} not found: ${err.message}`);
  }
  if (err.status === 401 || err.status === 403 || err.codes.includes('NAME_UNKNOWN') || err.codes.includes('DENIED') || err.codes.includes('UNAUTHORIZED')) {
    return notFound(`pull access denied for ${name}, repository does not exist or may require 'docker login': ${err.message}`);
  }
  return err;
}

interface Resolved {
  repo: Repository;
  manifest: ImageManifest;
  /** digest recorded as the image's RepoDigest: the index's if the tag named an index */
  digest: string;
}

async function resolve(deps: PullDeps, ref: NamedRef, tagOrDigest: string, opts: PullOptions): Promise<Resolved> {
  const sessions = await RegistrySession.connect(ref.domain, deps.registries, 'pull', { creds: opts.creds, signal: opts.signal, headerTimeoutMs: deps.timeoutMs, idleTimeoutMs: deps.timeoutMs });
  let lastErr: unknown;
  for (const s of sessions) {
    const repo = s.repository(ref.path);
    try {
      const top = await repo.getManifest(tagOrDigest);
      let parsed = parseManifest(top.bytes, top.mediaType);
      if (parsed.kind === 'index') {
        const want = parsePlatform(opts.platform, deps.hostArch);
        const desc = selectManifest(parsed.index, want);
        if (!desc) throw notFound(`no matching manifest for ${platformString(want)} in the manifest list entries`);
        const child = await repo.getManifest(desc.digest);
        parsed = parseManifest(child.bytes, child.mediaType ?? desc.mediaType);
        if (parsed.kind !== 'manifest') throw invalidArgument(`manifest ${desc.digest} is an index inside an index`);
      }
      return { repo, manifest: parsed.manifest, digest: top.digest };
    } catch (err) {
      lastErr = err;
      if (opts.signal?.aborted) throw err;
      if (s.endpoint.mirror) {
        deps.log?.(`pull from mirror ${s.base} failed, trying the next endpoint: ${(err as Error).message}`);
        continue;
      }
      throw translate(err, ref, tagOrDigest);
    }
  }
  throw translate(lastErr, ref, tagOrDigest);
}

async function fetchConfig(repo: Repository, desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
  if (desc.size > MAX_CONFIG_BYTES) throw invalidArgument(`image config ${desc.digest} is too large (${desc.size} bytes)`);
  const chunks: Buffer[] = [];
  await pipeline(resumableBlob(repo, desc.digest, signal), verifier(desc.digest, desc.size), async function* (src: AsyncIterable<Buffer>) {
    for await (const c of src) chunks.push(c);
  });
  return Buffer.concat(chunks);
}

function configDiffIDs(config: Buffer, layers: number): string[] {
  let parsed: { rootfs?: { type?: unknown; diff_ids?: unknown } };
  try {
    parsed = JSON.parse(config.toString('utf8')) as typeof parsed;
  } catch {
    throw invalidArgument('invalid image config: not JSON');
  }
  const ids = parsed.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string')) throw invalidArgument('invalid image config: no rootfs.diff_ids');
  if (ids.length !== layers) throw invalidArgument(`invalid image: the manifest has ${layers} layers, the config ${ids.length}`);
  return ids as string[];
}

/**
 * Pulls `ref` (a tag or digest must be set). Returns the image id. Messages follow Docker's order:
 * `Pulling from`, per layer `Pulling fs layer`/`Already exists`, `Waiting`, `Downloading`, `Verifying
 * Checksum`, `Download complete`, `Extracting`, `Pull complete`, then `Digest:` and `Status:`.
 */
export async function pull(deps: PullDeps, ref: NamedRef, opts: PullOptions): Promise<string> {
  const tagOrDigest = ref.digest ?? ref.tag ?? 'latest';
  const p = opts.progress;
  const { repo, manifest, digest } = await resolve(deps, ref, tagOrDigest, opts);
  p.status(`Pulling from ${familiarName(ref)}`, tagOrDigest);
  const config = await fetchConfig(repo, manifest.config, opts.signal).catch((e: unknown) => { throw translate(e, ref, tagOrDigest); });
  const diffIDs = configDiffIDs(config, manifest.layers.length);
  manifest.layers.forEach((l) => layerCompression(l.mediaType));

  const id = await deps.store.withLayersHeld(diffIDs, async () => {
    const todo: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < manifest.layers.length; i++) {
      const l = manifest.layers[i]!;
      if (seen.has(diffIDs[i]!)) continue;
      seen.add(diffIDs[i]!);
      if (await deps.store.hasLayer(diffIDs[i]!)) p.status('Already exists', shortDigest(l.digest));
      else {
        p.status('Pulling fs layer', shortDigest(l.digest));
        todo.push(i);
      }
    }
    const limit = deps.maxConcurrentDownloads ?? 3;
    todo.slice(limit).forEach((i) => p.status('Waiting', shortDigest(manifest.layers[i]!.digest)));
    await eachLimit(todo, limit, async (i) => {
      await pullLayer(deps, repo, ref, manifest.layers[i]!, diffIDs[i]!, opts);
    });
    return (await deps.store.createImage(config)).id;
  });

  const name = `${ref.domain}/${ref.path}`;
  const key = ref.digest !== undefined ? `${name}@${ref.digest}` : `${name}:${ref.tag ?? 'latest'}`;
  const before = deps.store.currentId(key);
  if (ref.digest === undefined) await deps.store.setReference(key, id);
  await deps.store.setReference(`${name}@${digest}`, id);
  p.status(`Digest: ${digest}`);
  const shown = familiarString(ref);
  p.status(before === id ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}`);
  return id;
}

async function pullLayer(deps: PullDeps, repo: Repository, ref: NamedRef, layer: Descriptor, diffID: string, opts: PullOptions): Promise<void> {
  const p = opts.progress;
  const sid = shortDigest(layer.digest);
  const compression = layerCompression(layer.mediaType);
  let downloaded = false;
  const check = verifier(layer.digest, layer.size, (n) => {
    p.bytes('Downloading', sid, n, layer.size);
    if (n === layer.size && !downloaded) {
      downloaded = true;
      p.bytes('Downloading', sid, n, layer.size, true);
      p.status('Verifying Checksum', sid);
    }
  });
  const tar = new PassThrough({ highWaterMark: 1 << 20 });
  tar.on('error', () => {}); // the failure is reported through `feeding`, even before the store reads
  const feeding = pipeline(resumableBlob(repo, layer.digest, opts.signal), check, decompressor(compression), tar);
  feeding.catch(() => {}); // seen through the ingest below
  try {
    const [fed, ingest] = await Promise.allSettled([feeding, deps.store.ingestLayer(diffID, tar)]);
    // the download's own failure (digest, truncation) explains the most; then what the store refused
    if (fed.status === 'rejected' && !isPrematureClose(fed.reason)) throw fed.reason;
    if (ingest.status === 'rejected') throw ingest.reason;
    if (fed.status === 'rejected') throw fed.reason;
  } catch (err) {
    tar.destroy();
    if (isKind(err, 'InvalidArgument')) throw invalidArgument(`failed to register layer ${sid}: ${(err as Error).message}`, err);
    throw err;
  }
  p.status('Download complete', sid);
  p.bytes('Extracting', sid, layer.size, layer.size, true);
  p.status('Pull complete', sid);
  await deps.dist.add(diffID, { digest: layer.digest, mediaType: layer.mediaType, size: layer.size, registry: ref.domain, repository: ref.path }).catch(() => {});
}

function isPrematureClose(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** `docker pull -a`: every tag of the repository, one after the other. */
export async function pullAllTags(deps: PullDeps, ref: NamedRef, opts: PullOptions): Promise<void> {
  const [session] = await RegistrySession.connect(ref.domain, deps.registries, 'pull', { creds: opts.creds, signal: opts.signal, headerTimeoutMs: deps.timeoutMs, idleTimeoutMs: deps.timeoutMs });
  const tags = await session!.repository(ref.path).tags().catch((e: unknown) => { throw translate(e, ref, 'latest'); });
  if (tags.length === 0) throw notFound(`no tags found for ${familiarName(ref)}`);
  for (const tag of tags.sort()) await pull(deps, { domain: ref.domain, path: ref.path, tag }, opts);
}
