/**
 * Per-repository metadata of the registry: which blobs a repository holds, its manifests (revisions)
 * and its tags. The bytes themselves live once in the content store; a repository only has links to
 * them, so a blob pushed to repository A is not readable from B until it is pushed or mounted there.
 *
 * Layout under `<root>/repositories/<name>/` (`<name>` may have several path components; the leading
 * `_` of the metadata folders keeps them apart from nested repository names, which start with [a-z0-9]):
 *
 *   _layers/sha256/<hex>                       link: the repository holds this blob (content: the digest)
 *   _manifests/revisions/sha256/<hex>          a manifest of the repository (content: Revision JSON)
 *   _manifests/tags/<tag>                      a tag (content: the manifest digest)
 *   _manifests/referrers/sha256/<subject>/<hex> index: manifest <hex> has subject <subject>
 *
 * Every file is written atomically (temp file + fsync + rename), so a crash leaves the old state or
 * the new one. Names and digests are validated before they become paths.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { digestHex, isDigest, type Digest } from '../../content/index.js';
import { invalidArgument } from '../../core/errors.js';
import { exists, readDirIfExists, readTextIfExists, removeFile, writeFileAtomic, mtimeMs } from './fsutil.js';
import { isRepositoryName, isTag } from './names.js';

/** A manifest stored in a repository, with what the referrers API needs to describe it. */
export interface Revision {
  digest: Digest;
  mediaType: string;
  size: number;
  /** the digest of the manifest's `subject`, if any */
  subject?: Digest;
  /** for the referrers API: the manifest's artifactType, else (image manifests) its config media type */
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface BlobLink {
  digest: Digest;
  /** when the link was last written (a push or mount refreshes it) */
  mtimeMs: number;
}

export class RepositoryStore {
  private constructor(
    readonly root: string,
    private readonly tmpDir: string,
  ) {}

  static async open(root: string, tmpDir: string): Promise<RepositoryStore> {
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    await fs.mkdir(tmpDir, { recursive: true, mode: 0o700 });
    return new RepositoryStore(root, tmpDir);
  }

  /** The folder of a repository (the name is validated, so it never escapes the root). */
  dir(name: string): string {
    if (!isRepositoryName(name)) throw invalidArgument(`invalid repository name: ${JSON.stringify(name)}`);
    return path.join(this.root, ...name.split('/'));
  }

  async exists(name: string): Promise<boolean> {
    const dir = this.dir(name);
    return (await exists(path.join(dir, '_manifests'))) || (await exists(path.join(dir, '_layers')));
  }

  // --- blob links ---

  private layerPath(name: string, digest: string): string {
    return path.join(this.dir(name), '_layers', 'sha256', digestHex(digest));
  }

  async hasBlob(name: string, digest: string): Promise<boolean> {
    return exists(this.layerPath(name, digest));
  }

  /** Links a blob into the repository (rewriting an existing link refreshes its time). */
  async linkBlob(name: string, digest: Digest): Promise<void> {
    await writeFileAtomic(this.tmpDir, this.layerPath(name, digest), digest);
  }

  async unlinkBlob(name: string, digest: string): Promise<boolean> {
    return removeFile(this.layerPath(name, digest));
  }

  async blobLinks(name: string): Promise<BlobLink[]> {
    const dir = path.join(this.dir(name), '_layers', 'sha256');
    const out: BlobLink[] = [];
    for (const hex of await readDirIfExists(dir)) {
      const digest = `sha256:${hex}`;
      if (!isDigest(digest)) continue;
      const t = await mtimeMs(path.join(dir, hex));
      if (t !== undefined) out.push({ digest, mtimeMs: t });
    }
    return out;
  }

  // --- manifests ---

  private revisionPath(name: string, digest: string): string {
    return path.join(this.dir(name), '_manifests', 'revisions', 'sha256', digestHex(digest));
  }

  private referrerPath(name: string, subject: string, digest: string): string {
    return path.join(this.dir(name), '_manifests', 'referrers', 'sha256', digestHex(subject), digestHex(digest));
  }

  async getRevision(name: string, digest: string): Promise<Revision | undefined> {
    const text = await readTextIfExists(this.revisionPath(name, digest));
    return text === undefined ? undefined : parseRevision(text);
  }

  async putRevision(name: string, rev: Revision): Promise<void> {
    if (rev.subject) await writeFileAtomic(this.tmpDir, this.referrerPath(name, rev.subject, rev.digest), '');
    await writeFileAtomic(this.tmpDir, this.revisionPath(name, rev.digest), JSON.stringify(rev));
  }

  /** Removes a manifest, the tags pointing to it and its referrers entry; false when absent. */
  async deleteRevision(name: string, digest: Digest): Promise<boolean> {
    const rev = await this.getRevision(name, digest);
    if (!rev) return false;
    for (const tag of await this.tags(name)) {
      if ((await this.resolveTag(name, tag)) === digest) await this.deleteTag(name, tag);
    }
    if (rev.subject) {
      await removeFile(this.referrerPath(name, rev.subject, digest));
      await fs.rmdir(path.dirname(this.referrerPath(name, rev.subject, digest))).catch(() => {});
    }
    return removeFile(this.revisionPath(name, digest));
  }

  async revisions(name: string): Promise<Revision[]> {
    const dir = path.join(this.dir(name), '_manifests', 'revisions', 'sha256');
    const out: Revision[] = [];
    for (const hex of (await readDirIfExists(dir)).sort()) {
      if (!isDigest(`sha256:${hex}`)) continue;
      const text = await readTextIfExists(path.join(dir, hex));
      if (text !== undefined) out.push(parseRevision(text));
    }
    return out;
  }

  /** Manifests of the repository whose subject is `subject`, by digest. */
  async referrers(name: string, subject: Digest): Promise<Revision[]> {
    const dir = path.join(this.dir(name), '_manifests', 'referrers', 'sha256', digestHex(subject));
    const out: Revision[] = [];
    for (const hex of (await readDirIfExists(dir)).sort()) {
      if (!isDigest(`sha256:${hex}`)) continue;
      const rev = await this.getRevision(name, `sha256:${hex}`);
      if (rev) out.push(rev);
    }
    return out;
  }

  // --- tags ---

  private tagPath(name: string, tag: string): string {
    if (!isTag(tag)) throw invalidArgument(`invalid tag: ${JSON.stringify(tag)}`);
    return path.join(this.dir(name), '_manifests', 'tags', tag);
  }

  async resolveTag(name: string, tag: string): Promise<Digest | undefined> {
    const text = (await readTextIfExists(this.tagPath(name, tag)))?.trim();
    return text !== undefined && isDigest(text) ? text : undefined;
  }

  async setTag(name: string, tag: string, digest: Digest): Promise<void> {
    await writeFileAtomic(this.tmpDir, this.tagPath(name, tag), digest);
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    return removeFile(this.tagPath(name, tag));
  }

  /** Tags in ASCII order. */
  async tags(name: string): Promise<string[]> {
    const names = await readDirIfExists(path.join(this.dir(name), '_manifests', 'tags'));
    return names.filter(isTag).sort();
  }

  // --- repositories ---

  /** All repositories, in ASCII order. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string, prefix: string[]): Promise<void> => {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      if (prefix.length > 0 && entries.some((e) => e.isDirectory() && (e.name === '_manifests' || e.name === '_layers'))) {
        out.push(prefix.join('/'));
      }
      for (const e of entries) {
        if (e.isDirectory() && !e.name.startsWith('_')) await walk(path.join(dir, e.name), [...prefix, e.name]);
      }
    };
    await walk(this.root, []);
    return out.filter(isRepositoryName).sort();
  }

  /** True when the repository holds no blob link, manifest or tag. */
  async isEmpty(name: string): Promise<boolean> {
    return (
      (await this.blobLinks(name)).length === 0 &&
      (await this.revisions(name)).length === 0 &&
      (await this.tags(name)).length === 0
    );
  }

  /** Removes an empty repository's folders (and parents left empty); false when it is not empty. */
  async removeIfEmpty(name: string): Promise<boolean> {
    if (!(await this.isEmpty(name))) return false;
    const dir = this.dir(name);
    await fs.rm(path.join(dir, '_layers'), { recursive: true, force: true });
    await fs.rm(path.join(dir, '_manifests'), { recursive: true, force: true });
    // nested repositories may live below: remove folders only while they are empty
    for (let d = dir; d !== this.root && d.startsWith(this.root + path.sep); d = path.dirname(d)) {
      try {
        await fs.rmdir(d);
      } catch {
        break;
      }
    }
    return true;
  }
}

function parseRevision(text: string): Revision {
  const v = JSON.parse(text) as Revision;
  if (!isDigest(v.digest) || typeof v.mediaType !== 'string' || typeof v.size !== 'number') {
    throw invalidArgument(`corrupt manifest revision record: ${text.slice(0, 200)}`);
  }
  return v;
}
