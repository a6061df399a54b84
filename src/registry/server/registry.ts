/**
 * The registry's operations, independent of HTTP: blobs and upload sessions, manifests and tags,
 * discovery (catalog, referrers) and garbage collection, over one storage root:
 *
 *   <root>/blobs/sha256/<hex>     every blob and manifest, once (Berth's LocalContentStore layout)
 *   <root>/repositories/<name>/   per-repository links, manifests and tags (see repositories.ts)
 *   <root>/uploads/<uuid>/        upload sessions (see uploads.ts)
 *   <root>/tmp/                   temp files of atomic writes
 *
 * Concurrency: operations that add references (committing an upload, mounting, pushing a manifest) or
 * remove them take the GC lock shared; `gc()` takes it exclusively, so it never sweeps a blob between
 * an upload's commit and its link, or while a manifest's references are being checked. Manifest and
 * tag changes of one repository are serialised.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { LocalContentStore, sha256Of, type Digest } from '../../content/index.js';
import { isKind } from '../../core/errors.js';
import { KeyedLock } from '../../host/lock.js';
import {
  blobUnknown,
  digestInvalid,
  manifestUnknown,
  nameUnknown,
  registryError,
  RegistryError,
  uploadUnknown,
  type ErrorEntry,
} from './errors.js';
import { readDirIfExists, writeFileAtomic } from './fsutil.js';
import { collectGarbage, type GcOptions, type GcResult } from './gc.js';
import { parseManifest } from './manifests.js';
import { isTag, type Reference } from './names.js';
import { RepositoryStore, type Revision } from './repositories.js';
import { SharedLock } from '../../host/sharedlock.js';
import { UploadStore, type UploadStatus } from './uploads.js';

export const DEFAULT_MAX_MANIFEST_BYTES = 4 << 20;
export const DEFAULT_UPLOAD_TTL_MS = 24 * 3600_000;

export interface RegistryOptions {
  log?: (msg: string) => void;
  /** larger manifests are refused with 413 (default 4 MiB) */
  maxManifestBytes?: number;
  /** upload sessions idle for longer are removed (default 24 hours) */
  uploadTtlMs?: number;
}

export interface BlobInfo {
  digest: Digest;
  size: number;
  /** the file holding the blob */
  path: string;
}

export interface PushedManifest {
  digest: Digest;
  subject?: Digest;
  /** tags set by the push */
  tags: string[];
}

/** The `Range` header value of an upload holding `size` bytes (distribution answers `0-0` when empty). */
export function uploadRange(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

export class Registry {
  private readonly gcLock = new SharedLock();
  private readonly repoLock = new KeyedLock();

  private constructor(
    readonly root: string,
    readonly store: LocalContentStore,
    readonly repos: RepositoryStore,
    readonly uploads: UploadStore,
    readonly maxManifestBytes: number,
    readonly uploadTtlMs: number,
    private readonly log: (msg: string) => void,
  ) {}

  static async open(root: string, opts: RegistryOptions = {}): Promise<Registry> {
    const abs = path.resolve(root);
    await fs.mkdir(abs, { recursive: true, mode: 0o700 });
    const tmp = path.join(abs, 'tmp');
    await fs.mkdir(tmp, { recursive: true, mode: 0o700 });
    // temp files of a crashed writer; recent ones may belong to another process on this root
    for (const name of await readDirIfExists(tmp)) {
      const st = await fs.stat(path.join(tmp, name)).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 3600_000) await fs.rm(path.join(tmp, name), { force: true });
    }
    const store = await LocalContentStore.open(abs);
    const repos = await RepositoryStore.open(path.join(abs, 'repositories'), tmp);
    const uploads = await UploadStore.open(path.join(abs, 'uploads'), store);
    const reg = new Registry(
      abs,
      store,
      repos,
      uploads,
      opts.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES,
      opts.uploadTtlMs ?? DEFAULT_UPLOAD_TTL_MS,
      opts.log ?? (() => {}),
    );
    await reg.purgeStaleUploads();
    return reg;
  }

  private get tmpDir(): string {
    return path.join(this.root, 'tmp');
  }

  // --- blobs ---

  /** A blob of the repository; BLOB_UNKNOWN unless the repository links it and the store has it. */
  async blob(name: string, digest: Digest): Promise<BlobInfo> {
    if (!(await this.repos.hasBlob(name, digest))) throw blobUnknown(digest);
    try {
      return { digest, size: await this.store.size(digest), path: this.store.blobPath(digest) };
    } catch (err) {
      if (isKind(err, 'NotFound')) throw blobUnknown(digest);
      throw err;
    }
  }

  /** Unlinks a blob from the repository (the bytes go at the next gc if nothing else refers to them). */
  async deleteBlob(name: string, digest: Digest): Promise<void> {
    await this.gcLock.shared(async () => {
      if (!(await this.repos.unlinkBlob(name, digest))) throw blobUnknown(digest);
    });
  }

  /** Links a blob of repository `from` into `name`; false when `from` does not hold it. */
  async mountBlob(name: string, digest: Digest, from: string): Promise<boolean> {
    return this.gcLock.shared(async () => {
      if (!(await this.repos.hasBlob(from, digest)) || !(await this.store.has(digest))) return false;
      await this.repos.linkBlob(name, digest);
      return true;
    });
  }

  // --- uploads ---

  async startUpload(name: string): Promise<UploadStatus> {
    return this.uploads.create(name);
  }

  async uploadStatus(name: string, uuid: string): Promise<UploadStatus> {
    return this.uploads.status(uuid, name).catch((err: unknown) => this.uploadError(err, name, uuid));
  }

  /** Appends a chunk; with `start` it must begin at the current offset (416 otherwise). */
  async appendUpload(name: string, uuid: string, body: Readable, start?: number): Promise<UploadStatus> {
    return this.uploads.append(uuid, name, body, start).catch((err: unknown) => this.uploadError(err, name, uuid));
  }

  /** Completes an upload, optionally with a last chunk: verifies the digest, stores and links the blob. */
  async finishUpload(name: string, uuid: string, digest: Digest, last?: { body: Readable; start?: number }): Promise<{ digest: Digest; size: number }> {
    if (last) await this.appendUpload(name, uuid, last.body, last.start);
    return this.gcLock.shared(async () => {
      const res = await this.uploads.commit(uuid, name, digest).catch((err: unknown) => this.uploadError(err, name, uuid));
      await this.repos.linkBlob(name, res.digest);
      this.log(`blob ${res.digest} (${res.size} bytes) pushed to ${name}`);
      return res;
    });
  }

  async cancelUpload(name: string, uuid: string): Promise<void> {
    await this.uploads.cancel(uuid, name).catch((err: unknown) => this.uploadError(err, name, uuid));
  }

  /** A whole blob in one request (POST with `?digest=`): an upload session created and finished at once. */
  async pushBlob(name: string, digest: Digest, body: Readable): Promise<{ digest: Digest; size: number }> {
    const session = await this.startUpload(name);
    try {
      return await this.finishUpload(name, session.uuid, digest, { body });
    } catch (err) {
      await this.uploads.cancel(session.uuid, name).catch(() => {});
      throw err;
    }
  }

  private async uploadError(err: unknown, name: string, uuid: string): Promise<never> {
    if (isKind(err, 'NotFound')) throw uploadUnknown(uuid);
    if (isKind(err, 'InvalidArgument')) throw digestInvalid((err as Error).message);
    if (isKind(err, 'Conflict')) {
      const { size } = await this.uploads.status(uuid, name);
      throw registryError('BLOB_UPLOAD_INVALID', (err as Error).message, {
        status: 416,
        detail: { size },
        headers: { Range: uploadRange(size) },
      });
    }
    throw err;
  }

  async purgeStaleUploads(): Promise<string[]> {
    const removed = await this.uploads.purgeStale(this.uploadTtlMs);
    if (removed.length > 0) this.log(`removed ${removed.length} stale upload session(s)`);
    return removed;
  }

  // --- manifests ---

  /** The manifest a tag or digest names; NAME_UNKNOWN / MANIFEST_UNKNOWN when absent. */
  async manifest(name: string, ref: Reference): Promise<Revision> {
    const digest = ref.kind === 'digest' ? ref.digest : await this.repos.resolveTag(name, ref.tag);
    const rev = digest && (await this.repos.getRevision(name, digest));
    if (rev && (await this.store.has(rev.digest))) return rev;
    if (!(await this.repos.exists(name))) throw nameUnknown(name);
    throw manifestUnknown(ref.kind === 'digest' ? ref.digest : ref.tag);
  }

  async manifestBytes(rev: Revision): Promise<Buffer> {
    return this.store.readBuffer(rev.digest);
  }

  /**
   * Stores a manifest after checking it (see manifests.ts) and that the repository holds every blob and
   * child manifest it refers to (MANIFEST_BLOB_UNKNOWN, one entry per missing digest). A push by digest
   * must match the bytes. `tags` are extra tags to point at it (`?tag=` of a push by digest).
   */
  async putManifest(name: string, ref: Reference, bytes: Buffer, contentType: string | undefined, tags: string[] = []): Promise<PushedManifest> {
    if (bytes.length > this.maxManifestBytes) throw manifestTooLarge(this.maxManifestBytes);
    const parsed = parseManifest(bytes, contentType);
    const digest = sha256Of(bytes);
    if (ref.kind === 'digest' && ref.digest !== digest) {
      throw digestInvalid(`manifest digest ${digest} does not match ${ref.digest}`, { expected: ref.digest, actual: digest });
    }
    for (const t of tags) {
      if (!isTag(t)) throw registryError('MANIFEST_INVALID', `invalid tag: ${JSON.stringify(t)}`, { detail: { tag: t } });
    }
    const allTags = ref.kind === 'tag' ? [ref.tag, ...tags] : tags;
    return this.gcLock.shared(() =>
      this.repoLock.run(name, async () => {
        const missing: ErrorEntry[] = [];
        for (const d of parsed.blobs) {
          if (!(await this.repos.hasBlob(name, d.digest)) || !(await this.store.has(d.digest))) {
            missing.push({ code: 'MANIFEST_BLOB_UNKNOWN', message: `manifest references a blob unknown to the repository: ${d.digest}`, detail: { digest: d.digest } });
          }
        }
        for (const d of parsed.children) {
          if (!(await this.repos.getRevision(name, d.digest))) {
            missing.push({ code: 'MANIFEST_BLOB_UNKNOWN', message: `manifest references a manifest unknown to the repository: ${d.digest}`, detail: { digest: d.digest } });
          }
        }
        if (missing.length > 0) throw new RegistryError(missing);
        if (!(await this.store.has(digest))) await writeFileAtomic(this.tmpDir, this.store.blobPath(digest), bytes);
        await this.repos.linkBlob(name, digest);
        await this.repos.putRevision(name, {
          digest,
          mediaType: parsed.mediaType,
          size: bytes.length,
          ...(parsed.subject ? { subject: parsed.subject.digest } : {}),
          ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
          ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
        });
        for (const t of allTags) await this.repos.setTag(name, t, digest);
        this.log(`manifest ${digest} pushed to ${name}${allTags.length ? `:${allTags.join(',')}` : ''}`);
        return { digest, subject: parsed.subject?.digest, tags };
      }),
    );
  }

  /** Deletes a tag, or a manifest by digest with the tags pointing to it. */
  async deleteManifest(name: string, ref: Reference): Promise<void> {
    await this.gcLock.shared(() =>
      this.repoLock.run(name, async () => {
        if (!(await this.repos.exists(name))) throw nameUnknown(name);
        const ok = ref.kind === 'tag' ? await this.repos.deleteTag(name, ref.tag) : await this.repos.deleteRevision(name, ref.digest);
        if (!ok) throw manifestUnknown(ref.kind === 'digest' ? ref.digest : ref.tag);
        this.log(`manifest ${ref.kind === 'digest' ? ref.digest : ref.tag} deleted from ${name}`);
      }),
    );
  }

  // --- discovery ---

  async tags(name: string): Promise<string[]> {
    if (!(await this.repos.exists(name))) throw nameUnknown(name);
    return this.repos.tags(name);
  }

  async catalog(): Promise<string[]> {
    return this.repos.list();
  }

  /** Manifests of the repository whose subject is `digest` (none for an unknown repository). */
  async referrers(name: string, digest: Digest): Promise<Revision[]> {
    return this.repos.referrers(name, digest);
  }

  // --- garbage collection ---

  /** Removes blobs that no manifest of any repository refers to (see gc.ts); waits for pushes in flight. */
  async gc(opts: GcOptions = {}): Promise<GcResult> {
    return this.gcLock.exclusive(async () => {
      const res = await collectGarbage(this.store, this.repos, { ...opts, log: this.log });
      if (!opts.dryRun) await this.purgeStaleUploads();
      return res;
    });
  }
}

export function manifestTooLarge(limit: number): RegistryError {
  return registryError('MANIFEST_INVALID', `manifest too large: the limit is ${limit} bytes`, { status: 413, detail: { limit } });
}
