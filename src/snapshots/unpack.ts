import { setAttribute } from '../core/xattr.js';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { constants as C, type Stats } from 'node:fs';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { BerthError, errnoCode, invalidArgument } from '../core/errors.js';
import { toHost, type IdentityMapping } from '../core/idmap.js';
import { mknod } from '../host/index.js';

/** Result of unpacking a layer: the sha256 of the tar stream as read, and the bytes of file content written. */
export interface UnpackResult {
  digest: string;
  size: number;
}

export interface UnpackOptions {
  /** userns-remap: owners are shifted into these maps (root in the layer -> the remapped root on disk) */
  idMap?: IdentityMapping;
  /** false: the caller has the tar's digest from elsewhere (the result's `digest` is then '') */
  hash?: boolean;
}

/** The on-disk owner of an entry: its tar uid/gid through the maps (identity without them). */
function owner(h: Pick<tar.Header, 'uid' | 'gid'>, idMap: IdentityMapping | undefined): { uid: number; gid: number } {
  return { uid: toHost(h.uid ?? 0, idMap?.uids ?? []), gid: toHost(h.gid ?? 0, idMap?.gids ?? []) };
}

const WHITEOUT_PREFIX = '.wh.';
const WHITEOUT_META_PREFIX = '.wh..wh.';
const WHITEOUT_OPAQUE = '.wh..wh..opq';

/**
 * Splits a tar entry name into path components, dropping `.` and empty parts.
 * Absolute names and `..` components are rejected: a layer can only write inside its own directory.
 */
export function entryComponents(name: string): string[] {
  if (name.startsWith('/')) throw invalidArgument(`layer entry ${JSON.stringify(name)}: absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw invalidArgument(`layer entry ${JSON.stringify(name)}: path escapes the layer`);
  return parts;
}

/** lstat that gives undefined for a missing path (no exception built for the common case). */
function lstatMaybe(p: string): Stats | undefined {
  return fs.lstatSync(p, { throwIfNoEntry: false });
}

/**
 * The directories this unpack has checked or made, as a trie of path components: each node is a real
 * directory reached from the layer root without a symlink. Only this unpack changes the layer directory
 * while it runs, and every removal or replacement it does drops the node (and so its subtree) first: an
 * entry whose parent is in the trie needs no walk, which keeps a deep or wide layer linear.
 */
type DirNode = Map<string, DirNode>;

/**
 * Walks `comps` under `root` with lstat, never following a symlink; with `create`, missing directories are
 * made. Any component that is a symlink or not a directory is refused, so no write can leave `root`.
 * Components already in `known` are not looked at again. Gives the path and the trie node of the result.
 */
function walkDirs(root: string, known: DirNode, comps: string[], name: string, create: boolean, idMap?: IdentityMapping): { dir: string; node: DirNode } {
  let node = known;
  let i = 0;
  for (; i < comps.length; i++) {
    const n = node.get(comps[i]!);
    if (!n) break;
    node = n;
  }
  let cur = i === 0 ? root : `${root}/${comps.slice(0, i).join('/')}`;
  for (; i < comps.length; i++) {
    const c = comps[i]!;
    const next = `${cur}/${c}`;
    const st = lstatMaybe(next);
    if (!st) {
      if (!create) throw invalidArgument(`layer entry ${JSON.stringify(name)}: no such directory ${c}`);
      fs.mkdirSync(next, { mode: 0o755 });
      // an implied parent belongs to the layer's root, remapped like the entries
      if (idMap) fs.lchownSync(next, toHost(0, idMap.uids), toHost(0, idMap.gids));
    } else if (st.isSymbolicLink()) {
      throw invalidArgument(`layer entry ${JSON.stringify(name)}: parent ${c} is a symlink`);
    } else if (!st.isDirectory()) {
      throw invalidArgument(`layer entry ${JSON.stringify(name)}: parent ${c} is not a directory`);
    }
    const child: DirNode = new Map();
    node.set(c, child);
    node = child;
    cur = next;
  }
  return { dir: cur, node };
}

/**
 * Removes whatever is at `parent/base` (without following symlinks), except a directory when `keepDir`;
 * true when a directory was kept. The trie forgets the path.
 */
function clear(parent: string, parentNode: DirNode, base: string, keepDir: boolean): boolean {
  const p = `${parent}/${base}`;
  const st = lstatMaybe(p);
  if (!st) return false;
  if (st.isDirectory()) {
    if (keepDir) {
      if (!parentNode.has(base)) parentNode.set(base, new Map());
      return true;
    }
    parentNode.delete(base);
    fs.rmSync(p, { recursive: true, force: true });
  } else {
    parentNode.delete(base);
    fs.unlinkSync(p);
  }
  return false;
}

/** Runs `make` (which creates `parent/base` exclusively); when something is in the way, clears it and retries. */
function createFresh<T>(parent: string, parentNode: DirNode, base: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    clear(parent, parentNode, base, false);
    return make();
  }
}

interface DeferredTime {
  path: string;
  mtime: Date;
}

function applyMeta(p: string, h: tar.Header, isLink: boolean, idMap: IdentityMapping | undefined): void {
  const o = owner(h, idMap);
  fs.lchownSync(p, o.uid, o.gid);
  // chown clears set-id bits, so chmod comes after it; symlinks have no mode of their own on Linux.
  if (!isLink) fs.chmodSync(p, (h.mode ?? 0o644) & 0o7777);
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

const writeAsync = (fd: number, buf: Buffer): Promise<number> =>
  new Promise((resolve, reject) => fs.write(fd, buf, (err, n) => (err ? reject(err) : resolve(n))));
/** file content up to this size is written with synchronous calls (page cache copies, microseconds) */
const SYNC_WRITE_MAX = 1 << 20;

/**
 * Unpacks an uncompressed layer tar into the existing directory `dest`, converting OCI whiteouts into
 * overlayfs ones (`.wh.x` -> 0/0 character device `x`, `.wh..wh..opq` -> `trusted.overlay.opaque=y`).
 * Preserves mode, owner, mtime, symlinks, hardlinks within the layer, fifos and devices.
 * Extended attributes from PAX records are not applied (tar-stream decodes them lossily).
 * With `idMap`, every owner is shifted into the maps (Docker's "Container ID n cannot be mapped to a host
 * ID" for one outside them).
 */
export async function unpackLayer(input: Readable | AsyncIterable<Buffer>, dest: string, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const hash = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const extract = tar.extract();
  const feeding = opts.hash === false ? pipeline(input, extract) : pipeline(input, hasher, extract);
  feeding.catch(() => {}); // awaited below; avoid an unhandled rejection while entries are processed
  const dirTimes: DeferredTime[] = [];
  const root = path.resolve(dest);
  const known: DirNode = new Map();
  let size = 0;
  try {
    for await (const entry of extract) {
      size += await unpackEntry(root, known, entry.header, entry as AsyncIterable<Buffer>, dirTimes, opts.idMap);
      await drain(entry);
    }
    await feeding;
  } catch (err) {
    extract.destroy();
    await feeding.catch(() => {});
    // what the tar reader refuses is a bad archive (a client's or a registry's), not a failure here
    if (err instanceof BerthError || /^E[A-Z]+$/.test(errnoCode(err) ?? '')) throw err;
    throw invalidArgument(`invalid tar archive: ${(err as Error).message}`, err);
  }
  // Directory mtimes last, deepest first, since creating children changed them.
  for (const d of dirTimes.reverse()) fs.lutimesSync(d.path, d.mtime, d.mtime);
  return { digest: opts.hash === false ? '' : `sha256:${hash.digest('hex')}`, size };
}

/**
 * One entry. The metadata calls are synchronous: a layer is thousands of tiny operations, and a thread
 * pool round trip for each costs more than the call itself; the loop still yields between entries.
 */
async function unpackEntry(dest: string, known: DirNode, h: tar.Header, entry: AsyncIterable<Buffer>, dirTimes: DeferredTime[], idMap: IdentityMapping | undefined): Promise<number> {
  const comps = entryComponents(h.name);
  const mtime = h.mtime ?? new Date(0);
  if (comps.length === 0) {
    // The layer root itself ("./"): only its metadata matters.
    if (h.type === 'directory') {
      applyMeta(dest, h, false, idMap);
      dirTimes.push({ path: dest, mtime });
    }
    return 0;
  }
  const base = comps[comps.length - 1]!;
  const { dir: parent, node } = walkDirs(dest, known, comps.slice(0, -1), h.name, true, idMap);
  const target = `${parent}/${base}`;

  if (base.startsWith(WHITEOUT_PREFIX)) {
    if (base === WHITEOUT_OPAQUE) {
      await setAttribute(parent, 'trusted.overlay.opaque', 'y');
    } else if (!base.startsWith(WHITEOUT_META_PREFIX)) {
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..' || hidden.includes('/')) throw invalidArgument(`layer entry ${JSON.stringify(h.name)}: bad whiteout`);
      const p = `${parent}/${hidden}`;
      clear(parent, node, hidden, false);
      await mknod(p, 'character-device', 0, 0, 0);
      if (idMap) fs.lchownSync(p, owner(h, idMap).uid, owner(h, idMap).gid); // as the entry's owner, remapped
    }
    return 0;
  }

  switch (h.type) {
    case 'directory': {
      if (!node.has(base) && !clear(parent, node, base, true)) {
        fs.mkdirSync(target, { mode: 0o700 });
        node.set(base, new Map());
      }
      applyMeta(target, h, false, idMap);
      dirTimes.push({ path: target, mtime });
      return 0;
    }
    case 'file':
    case 'contiguous-file': {
      // O_EXCL|O_NOFOLLOW: a new file, never a write through a link (what is in the way is cleared first)
      const fd = createFresh(parent, node, base, () => fs.openSync(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600));
      let written = 0;
      try {
        const small = (h.size ?? 0) <= SYNC_WRITE_MAX;
        for await (const chunk of entry) {
          if (small) fs.writeSync(fd, chunk);
          else for (let off = 0; off < chunk.length;) off += await writeAsync(fd, chunk.subarray(off));
          written += chunk.length;
        }
        const o = owner(h, idMap);
        fs.fchownSync(fd, o.uid, o.gid);
        // after chown, which clears set-id bits
        fs.fchmodSync(fd, (h.mode ?? 0o644) & 0o7777);
        fs.futimesSync(fd, mtime, mtime);
      } finally {
        fs.closeSync(fd);
      }
      return written;
    }
    case 'symlink': {
      createFresh(parent, node, base, () => fs.symlinkSync(h.linkname ?? '', target));
      applyMeta(target, h, true, idMap);
      fs.lutimesSync(target, mtime, mtime);
      return 0;
    }
    case 'link': {
      const src = entryComponents(h.linkname ?? '');
      if (src.length === 0) throw invalidArgument(`layer entry ${JSON.stringify(h.name)}: empty hardlink target`);
      const { dir: srcDir } = walkDirs(dest, known, src.slice(0, -1), h.name, false);
      const srcPath = `${srcDir}/${src[src.length - 1]!}`;
      const st = lstatMaybe(srcPath);
      if (!st || st.isDirectory()) {
        throw invalidArgument(`layer entry ${JSON.stringify(h.name)}: bad hardlink target ${JSON.stringify(h.linkname)}`);
      }
      if (srcPath === target) return 0;
      // link(2) does not follow a symlink source
      createFresh(parent, node, base, () => fs.linkSync(srcPath, target));
      return 0;
    }
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      clear(parent, node, base, false);
      await mknod(target, h.type, h.devmajor ?? 0, h.devminor ?? 0);
      applyMeta(target, h, false, idMap);
      fs.lutimesSync(target, mtime, mtime);
      return 0;
    }
    default:
      return 0; // unknown entry kinds are skipped, as Docker does
  }
}
