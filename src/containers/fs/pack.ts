/**
 * Writes a tree of a Scope into a tar stream, as Docker's tarballer does: directories first with a
 * trailing `/`, children in name order, hardlinks within the archive as link entries, symlinks as
 * links (never followed), fifos and devices as such, sockets left out. Files are read through
 * descriptors opened with O_NOFOLLOW, so nothing outside the scope is ever read.
 */
import { once } from 'node:events';
import { closeSync, constants as C, fstatSync, openSync, readdirSync, readSync, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { errnoCode, invalidArgument } from '../../core/errors.js';
import type { Dir, Entry, Scope } from './scope.js';

export interface PackOptions {
  /** leaves an entry (and what is under it) out */
  skip?(e: Entry): boolean | Promise<boolean>;
  /**
   * Rewrites the header of an entry: returns the headers to write instead (an empty list drops it);
   * used to turn overlay whiteouts into OCI ones.
   */
  rewrite?(e: Entry, h: Header): Promise<Header[]>;
  /** stops the walk (the client went away) */
  signal?: AbortSignal;
  /** the owner a header carries for a file with this lstat (default: its own ids; see owners.ts) */
  owner?(st: Stats): { uid: number; gid: number };
  /**
   * lstat entries and read small files with synchronous calls: for a tree on the daemon's own disk (a
   * container's upper directory), where a thread pool round trip per call costs more than the call;
   * never where a mount (a network file system) could hang the daemon's event loop
   */
  local?: boolean;
}

/** A tar header as written (tar-stream fills in what is left out). */
export type Header = Partial<tar.Header> & { name: string };


/** Adds one entry; resolves once its content is written (a Buffer goes in at once). */
async function put(pack: tar.Pack, h: Header, body?: Buffer | (() => AsyncIterable<Buffer>)): Promise<void> {
  if (Buffer.isBuffer(body)) {
    await new Promise<void>((resolve, reject) => {
      pack.entry(h, body, (err) => (err ? reject(err) : resolve())).on('error', () => undefined);
    });
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const w = pack.entry(h, (err) => (err ? reject(err) : resolve()));
    // a pack destroyed under the entry (the client went away) errors the entry too: the callback has it
    w.on('error', () => undefined);
    if (!body) {
      w.end(undefined);
      return;
    }
    void (async () => {
      try {
        for await (const chunk of body()) {
          if (!w.write(chunk)) await once(w, 'drain');
        }
        w.end(undefined);
      } catch (e) {
        w.destroy(e as Error);
        reject(e);
      }
    })();
  });
}

/** Exactly `size` bytes of an open file (zero-padded if it shrank meanwhile, cut if it grew). */
async function* readExactly(h: fsp.FileHandle, size: number): AsyncGenerator<Buffer> {
  let left = size;
  while (left > 0) {
    // a buffer per read, handed on as it is (no copy); 64 KiB: larger buffers are mmap'ed by malloc, and
    // their page faults and unmapping (in the daemon's GC) cost more than the extra reads
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
    const { bytesRead } = await h.read(buf, 0, buf.length, null);
    if (bytesRead === 0) {
      yield Buffer.alloc(left);
      return;
    }
    left -= bytesRead;
    yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
  }
}

const CHUNK = 64 << 10;
/** files up to this size are read whole with synchronous calls (page cache copies: microseconds) */
const SMALL_FILE = 256 << 10;
/** the walk lets other work of the event loop run after this many entries */
const YIELD_EVERY = 256;

/**
 * A small regular file read whole through a descriptor opened with O_NOFOLLOW: its fstat and content,
 * or undefined when it is gone or was replaced since `st` (its lstat), or 'big' when it grew past
 * SMALL_FILE meanwhile (read as a stream then).
 */
function readSmall(host: string, st: Stats): { stats: Stats; data: Buffer } | undefined | 'big' {
  let fd: number;
  try {
    fd = openSync(host, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  } catch (err) {
    if (['ENOENT', 'ELOOP'].includes(errnoCode(err) ?? '')) return undefined;
    throw err;
  }
  try {
    const now = fstatSync(fd);
    if (!now.isFile() || now.ino !== st.ino) return undefined;
    if (now.size > SMALL_FILE) return 'big';
    // zero-padded if it shrank meanwhile
    const data = Buffer.alloc(now.size);
    for (let off = 0; off < data.length;) {
      const n = readSync(fd, data, off, data.length - off, null);
      if (n === 0) break;
      off += n;
    }
    return { stats: now, data };
  } finally {
    closeSync(fd);
  }
}

export class TreePacker {
  private readonly links = new Map<string, string>();
  private count = 0;

  constructor(private readonly scope: Scope, private readonly pack: tar.Pack, private readonly opts: PackOptions = {}) {}

  /**
   * Writes entry `e` under the tar name `name` (and, for a directory, everything under it, named
   * `name/child`). With an empty name a directory itself is left out and its children are named from
   * the top (an export, a layer).
   */
  async entry(e: Entry, name: string): Promise<void> {
    if (this.opts.signal?.aborted) throw invalidArgument('the archive was abandoned');
    const st = e.stats;
    if (!st || (await this.opts.skip?.(e))) return;
    if (st.isDirectory()) {
      let dir: Dir;
      try {
        dir = await this.scope.openDir(e);
      } catch (err) {
        if (['ENOENT', 'ELOOP', 'ENOTDIR'].includes(errnoCode(err) ?? '')) return; // changed under us
        throw err;
      }
      try {
        const prefix = name === '' || name.endsWith('/') ? name : `${name}/`;
        if (name !== '') await this.write(e, { ...this.baseHeader(prefix, st), type: 'directory' });
        const local = this.opts.local === true;
        const names = [...new Set([...(local ? readdirSync(dir.host) : await fsp.readdir(dir.host)), ...this.scope.mountNamesIn(dir.ctr)])].sort();
        for (const n of names) {
          if (local && ++this.count % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
          await this.entry(local ? this.scope.childSync(dir, n) : await this.scope.child(dir, n), `${prefix}${n}`);
        }
      } finally {
        await this.scope.release(dir);
      }
      return;
    }
    if (st.isSymbolicLink()) {
      const target = await fsp.readlink(e.host).catch(() => undefined);
      if (target !== undefined) await this.write(e, { ...this.baseHeader(name, st), type: 'symlink', linkname: target });
      return;
    }
    if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? this.links.get(key) : undefined;
      if (first !== undefined) {
        await this.write(e, { ...this.baseHeader(name, st), type: 'link', linkname: first, size: 0 });
        return;
      }
      if (this.opts.local && st.size <= SMALL_FILE) {
        const got = readSmall(e.host, st);
        if (got === undefined) return;
        if (got !== 'big') {
          if (st.nlink > 1) this.links.set(key, name);
          await this.write(e, { ...this.baseHeader(name, got.stats), type: 'file', size: got.data.length }, got.data);
          return;
        }
      }
      let h: fsp.FileHandle;
      try {
        h = await fsp.open(e.host, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
      } catch (err) {
        if (['ENOENT', 'ELOOP'].includes(errnoCode(err) ?? '')) return;
        throw err;
      }
      try {
        const now = await h.stat();
        if (!now.isFile() || now.ino !== st.ino) return; // replaced since the lstat
        if (st.nlink > 1) this.links.set(key, name);
        await this.write(e, { ...this.baseHeader(name, now), type: 'file', size: now.size }, () => readExactly(h, now.size));
      } finally {
        await h.close();
      }
      return;
    }
    const dev = { devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) };
    if (st.isCharacterDevice()) await this.write(e, { ...this.baseHeader(name, st), type: 'character-device', ...dev });
    else if (st.isBlockDevice()) await this.write(e, { ...this.baseHeader(name, st), type: 'block-device', ...dev });
    else if (st.isFIFO()) await this.write(e, { ...this.baseHeader(name, st), type: 'fifo' });
    // sockets are not archived
  }

  private baseHeader(name: string, st: Stats): Header {
    const o = this.opts.owner ? this.opts.owner(st) : { uid: st.uid, gid: st.gid };
    return { name, mode: st.mode & 0o7777, uid: o.uid, gid: o.gid, mtime: st.mtime };
  }

  private async write(e: Entry, h: Header, body?: Buffer | (() => AsyncIterable<Buffer>)): Promise<void> {
    const headers = this.opts.rewrite ? await this.opts.rewrite(e, h) : [h];
    for (const x of headers) await put(this.pack, x, x === h ? body : undefined);
  }
}

/**
 * Runs `fill` on a new tar whose bytes flow through `sinks`: a failure of `fill` destroys the tar (the
 * sinks see the error), and the pipeline's outcome is returned.
 */
export async function packInto(fill: (pack: tar.Pack) => Promise<void>, ...sinks: NodeJS.WritableStream[]): Promise<void> {
  const pack = tar.pack();
  const piping = (pipeline as (...streams: unknown[]) => Promise<void>)(pack, ...sinks);
  piping.catch(() => undefined);
  try {
    await fill(pack);
    pack.finalize();
  } catch (e) {
    pack.destroy(e as Error);
  }
  await piping;
}

/**
 * Gathers a tar's small chunks (512-byte headers, small files, padding) into buffers of about `size`
 * bytes, so that each reader downstream (a hash, a file write, a tar parser) sees a few large chunks
 * rather than three per entry. Chunks are held, not copied, until there are enough of them.
 */
export function coalesce(size = 256 << 10): Transform {
  let held: Buffer[] = [];
  let n = 0;
  return new Transform({
    transform(c: Buffer, _e, cb) {
      // a large chunk (a large file's read) goes on as it is, never copied: only small ones are gathered
      if (c.length >= CHUNK) {
        if (n > 0) this.push(Buffer.concat(held, n));
        held = [];
        n = 0;
        return cb(null, c);
      }
      held.push(c);
      n += c.length;
      if (n < size) return cb();
      const out = Buffer.concat(held, n);
      held = [];
      n = 0;
      cb(null, out);
    },
    flush(cb) {
      cb(null, n ? Buffer.concat(held, n) : undefined);
    },
  });
}
