import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errnoCode, internal, invalidArgument, notFound } from '../core/errors.js';
import { digestHex, parseDigest, type Digest } from './digest.js';

/**
 * The content store holds immutable blobs addressed by their sha256 digest (containerd's content store).
 *
 * Lifecycle of a blob: an Ingester streams bytes into a private temp file under `<root>/ingest/`, hashing
 * them on the way; when the stream ends the digest is checked against the expected one (if given), the file
 * is fsynced and renamed to `<root>/blobs/sha256/<hex>`. A blob is therefore either absent or complete,
 * even after a crash (stale ingest files are swept on open). Blobs are never modified; a Manager deletes
 * them once nothing refers to them (the image store decides that, not this store).
 *
 * Roles are split so that a consumer depends on the narrowest one.
 */
export interface Provider {
  has(digest: string): Promise<boolean>;
  /** Size in bytes; NotFound if absent. */
  size(digest: string): Promise<number>;
  readStream(digest: string): Promise<Readable>;
  readBuffer(digest: string): Promise<Buffer>;
}

export interface WriteResult {
  digest: Digest;
  size: number;
}

export interface Ingester {
  /**
   * Stores a stream; if `expected` is given and differs from the content, nothing is stored
   * (InvalidArgument). `sync: false`: not flushed to the disk here (the caller syncs the file system).
   */
  write(data: Readable | AsyncIterable<Buffer>, expected?: string, o?: { sync?: boolean }): Promise<WriteResult>;
  writeBuffer(data: Buffer | string, expected?: string, o?: { sync?: boolean }): Promise<WriteResult>;
}

export interface Manager {
  /** Idempotent: deleting an absent blob is not an error. */
  delete(digest: string): Promise<void>;
  list(): Promise<{ digest: Digest; size: number }[]>;
}

export type ContentStore = Provider & Ingester & Manager;

/** A content store on the local filesystem. */
export class LocalContentStore implements ContentStore {
  private constructor(readonly root: string) {}

  static async open(root: string): Promise<LocalContentStore> {
    await fs.mkdir(path.join(root, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
    await fs.rm(path.join(root, 'ingest'), { recursive: true, force: true });
    await fs.mkdir(path.join(root, 'ingest'), { recursive: true, mode: 0o700 });
    return new LocalContentStore(root);
  }

  /** Path of a blob (the digest is validated first, so this never escapes the root). */
  blobPath(digest: string): string {
    return path.join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    return (await this.stat(digest)) !== undefined;
  }

  async size(digest: string): Promise<number> {
    const st = await this.stat(digest);
    if (!st) throw notFound(`content ${digest}: not found`);
    return st.size;
  }

  async readStream(digest: string): Promise<Readable> {
    const p = this.blobPath(digest);
    const fh = await fs.open(p, 'r').catch((err: unknown) => {
      throw errnoCode(err) === 'ENOENT' ? notFound(`content ${digest}: not found`) : err;
    });
    return fh.createReadStream();
  }

  async readBuffer(digest: string): Promise<Buffer> {
    return fs.readFile(this.blobPath(digest)).catch((err: unknown) => {
      throw errnoCode(err) === 'ENOENT' ? notFound(`content ${digest}: not found`) : err;
    });
  }

  async write(data: Readable | AsyncIterable<Buffer>, expected?: string, o: { sync?: boolean } = {}): Promise<WriteResult> {
    if (expected !== undefined) parseDigest(expected);
    const tmp = path.join(this.root, 'ingest', `${Date.now()}-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const fh = await fs.open(tmp, 'wx', 0o600);
    try {
      // what arrives while a write is under way goes in the next one, in a single writev
      const sink = new Writable({
        highWaterMark: 1 << 20,
        writev(chunks, cb) {
          const bufs = chunks.map((c) => c.chunk as Buffer);
          for (const b of bufs) {
            hash.update(b);
            size += b.length;
          }
          fh.writev(bufs).then(() => cb(), cb);
        },
      });
      await pipeline(data, sink);
      const digest: Digest = `sha256:${hash.digest('hex')}`;
      if (expected !== undefined && expected !== digest) {
        throw invalidArgument(`content digest mismatch: expected ${expected}, got ${digest}`);
      }
      if (o.sync !== false) await fh.sync();
      await fh.close();
      const dest = this.blobPath(digest);
      await fs.rename(tmp, dest);
      return { digest, size };
    } catch (err) {
      await fh.close().catch(() => {});
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async writeBuffer(data: Buffer | string, expected?: string, o: { sync?: boolean } = {}): Promise<WriteResult> {
    return this.write(Readable.from([Buffer.from(data)]), expected, o);
  }

  async delete(digest: string): Promise<void> {
    await fs.rm(this.blobPath(digest), { force: true });
  }

  async list(): Promise<{ digest: Digest; size: number }[]> {
    const dir = path.join(this.root, 'blobs', 'sha256');
    const out: { digest: Digest; size: number }[] = [];
    for (const name of (await fs.readdir(dir)).sort()) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const st = await fs.stat(path.join(dir, name));
      out.push({ digest: `sha256:${name}`, size: st.size });
    }
    return out;
  }

  private async stat(digest: string): Promise<Stats | undefined> {
    try {
      const st = await fs.stat(this.blobPath(digest));
      if (!st.isFile()) throw internal(`content ${digest}: not a regular file`);
      return st;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }
}
