/**
 * Blob upload sessions (the POST / PATCH / PUT protocol), kept on disk so an upload survives across
 * requests and across a restart of the server.
 *
 * Lifecycle: `create` makes `<root>/<uuid>/` with an empty `data` file and `meta.json` (repository,
 * start time). `append` streams bytes to the end of `data` (the file size is the upload's offset, so a
 * restarted server resumes where the bytes on disk end). `commit` checks the digest of the whole data
 * and renames the file into the content store: the blob appears complete or not at all, a crash before
 * the rename leaves only the session. A digest mismatch removes the session and stores nothing.
 * `cancel` removes the session; `purgeStale` removes sessions left idle longer than a given age.
 *
 * While a session is written by this process its sha256 state is kept in memory, so `commit` costs no
 * second read; after a restart (or an interrupted write) the data is hashed again at commit.
 * All operations on one session are serialised.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Digest, LocalContentStore } from '../../content/index.js';
import { conflict, errnoCode, invalidArgument, notFound } from '../../core/errors.js';
import { KeyedLock } from '../../host/lock.js';
import { readDirIfExists, readTextIfExists, writeFileAtomic } from './fsutil.js';

/** Buffer size of the file streams: large, so a big blob moves in few syscalls. */
export const STREAM_HWM = 1 << 20;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface UploadStatus {
  uuid: string;
  repo: string;
  /** bytes received so far */
  size: number;
  startedAt: string;
}

interface Meta {
  repo: string;
  startedAt: string;
}

interface HashState {
  hash: Hash;
  /** bytes the hash has seen */
  size: number;
}

export class UploadStore {
  private readonly lock = new KeyedLock();
  private readonly hashes = new Map<string, HashState>();

  private constructor(
    readonly root: string,
    private readonly store: LocalContentStore,
  ) {}

  static async open(root: string, store: LocalContentStore): Promise<UploadStore> {
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    const uploads = new UploadStore(root, store);
    // a crash while creating a session can leave a folder without meta.json: nothing refers to it
    // (a young one may be another process's session being created right now)
    for (const name of await readDirIfExists(root)) {
      const dir = path.join(root, name);
      if (await readTextIfExists(path.join(dir, 'meta.json'))) continue;
      const st = await fs.stat(dir).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > 60_000) await fs.rm(dir, { recursive: true, force: true });
    }
    return uploads;
  }

  private dir(uuid: string): string {
    if (!UUID_RE.test(uuid)) throw notFound(`upload ${uuid}: not found`);
    return path.join(this.root, uuid);
  }

  async create(repo: string): Promise<UploadStatus> {
    const uuid = randomUUID();
    const dir = this.dir(uuid);
    await fs.mkdir(dir, { mode: 0o700 });
    await fs.writeFile(path.join(dir, 'data'), '', { mode: 0o600 });
    const meta: Meta = { repo, startedAt: new Date().toISOString() };
    await writeFileAtomic(dir, path.join(dir, 'meta.json'), JSON.stringify(meta));
    this.hashes.set(uuid, { hash: createHash('sha256'), size: 0 });
    return { uuid, repo, size: 0, startedAt: meta.startedAt };
  }

  /** The session's state; NotFound when unknown or when it belongs to another repository. */
  async status(uuid: string, repo: string): Promise<UploadStatus> {
    return this.lock.run(uuid, () => this.load(uuid, repo));
  }

  /**
   * Streams `data` to the end of the upload. With `start`, the data must begin at the current offset
   * (Conflict otherwise, nothing written). If the stream fails midway the bytes that reached the disk
   * stay: the offset (see `status`) tells the client where to resume.
   */
  async append(uuid: string, repo: string, data: Readable, start?: number): Promise<UploadStatus> {
    return this.lock.run(uuid, () => this.appendLocked(uuid, repo, data, start));
  }

  /**
   * Checks that the upload's data has the digest `expected` and moves it into the content store.
   * InvalidArgument on a mismatch (the session is removed, nothing is stored).
   */
  async commit(uuid: string, repo: string, expected: Digest): Promise<{ digest: Digest; size: number }> {
    return this.lock.run(uuid, async () => {
      const { size } = await this.load(uuid, repo);
      const file = path.join(this.dir(uuid), 'data');
      const mem = this.hashes.get(uuid);
      const digest: Digest =
        mem && mem.size === size ? `sha256:${mem.hash.copy().digest('hex')}` : await hashFile(file);
      if (digest !== expected) {
        await this.remove(uuid);
        throw invalidArgument(`upload ${uuid}: digest mismatch: expected ${expected}, got ${digest}`);
      }
      const fh = await fs.open(file, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      try {
        await fs.rename(file, this.store.blobPath(digest));
      } catch (err) {
        if (errnoCode(err) !== 'EXDEV') throw err;
        await this.store.write(createReadStream(file, { highWaterMark: STREAM_HWM }), digest);
      }
      await this.remove(uuid);
      return { digest, size };
    });
  }

  async cancel(uuid: string, repo: string): Promise<void> {
    await this.lock.run(uuid, async () => {
      await this.load(uuid, repo);
      await this.remove(uuid);
    });
  }

  /** Removes sessions idle for longer than `maxAgeMs`; returns their ids. */
  async purgeStale(maxAgeMs: number, now = Date.now()): Promise<string[]> {
    const removed: string[] = [];
    for (const uuid of await readDirIfExists(this.root)) {
      if (!UUID_RE.test(uuid)) continue;
      await this.lock.run(uuid, async () => {
        const last = await lastActivity(path.join(this.root, uuid));
        if (last !== undefined && now - last <= maxAgeMs) return;
        await this.remove(uuid);
        removed.push(uuid);
      });
    }
    return removed;
  }

  private async load(uuid: string, repo: string): Promise<UploadStatus> {
    const dir = this.dir(uuid);
    const text = await readTextIfExists(path.join(dir, 'meta.json'));
    const meta = text === undefined ? undefined : (JSON.parse(text) as Meta);
    if (!meta || meta.repo !== repo) throw notFound(`upload ${uuid}: not found`);
    const st = await fs.stat(path.join(dir, 'data')).catch((err: unknown) => {
      throw errnoCode(err) === 'ENOENT' ? notFound(`upload ${uuid}: not found`) : err;
    });
    return { uuid, repo, size: st.size, startedAt: meta.startedAt };
  }

  private async appendLocked(uuid: string, repo: string, data: Readable, start?: number): Promise<UploadStatus> {
    const status = await this.load(uuid, repo);
    const size = status.size;
    if (start !== undefined && start !== size) {
      data.resume();
      throw conflict(`upload ${uuid}: chunk starts at ${start}, the upload has ${size} bytes`);
    }
    const file = path.join(this.dir(uuid), 'data');
    let mem = this.hashes.get(uuid);
    if (mem && mem.size !== size) mem = undefined;
    if (!mem && size === 0) mem = { hash: createHash('sha256'), size: 0 };
    this.hashes.delete(uuid);
    const hash = mem?.hash;
    let added = 0;
    const tap = new Transform({
      readableHighWaterMark: STREAM_HWM,
      writableHighWaterMark: STREAM_HWM,
      transform(chunk: Buffer, _enc, cb) {
        hash?.update(chunk);
        added += chunk.length;
        cb(null, chunk);
      },
    });
    const out = createWriteStream(file, { flags: 'r+', start: size, highWaterMark: STREAM_HWM });
    try {
      await pipeline(data, tap, out);
    } catch (err) {
      // keep what reached the disk; the in-memory hash is only reusable if it saw exactly those bytes
      const now = (await fs.stat(file)).size;
      if (hash && now === size + added) this.hashes.set(uuid, { hash, size: now });
      throw err;
    }
    if (hash) this.hashes.set(uuid, { hash, size: size + added });
    return { ...status, size: size + added };
  }

  private async remove(uuid: string): Promise<void> {
    this.hashes.delete(uuid);
    await fs.rm(this.dir(uuid), { recursive: true, force: true });
  }
}

async function hashFile(file: string): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: STREAM_HWM })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

async function lastActivity(dir: string): Promise<number | undefined> {
  let last: number | undefined;
  for (const name of ['meta.json', 'data']) {
    const st = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (st) last = Math.max(last ?? 0, st.mtimeMs);
  }
  return last;
}
