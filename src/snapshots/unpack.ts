import { setAttribute } from '../core/xattr.js';
import { createHash } from 'node:crypto';
import { constants as C, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { errnoCode, invalidArgument } from '../core/errors.js';
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

async function lstatMaybe(p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Walks `comps` under `root` with lstat, never following a symlink; with `create`, missing directories are
 * made. Any component that is a symlink or not a directory is refused, so no write can leave `root`.
 */
async function walkDirs(root: string, comps: string[], name: string, create: boolean, idMap?: IdentityMapping): Promise<string> {
  let cur = root;
  for (const c of comps) {
    const next = path.join(cur, c);
    const st = await lstatMaybe(next);
    if (!st) {
      if (!create) throw invalidArgument(`layer entry ${JSON.stringify(name)}: no such directory ${c}`);
      await fs.mkdir(next, { mode: 0o755 });
      // an implied parent belongs to the layer's root, remapped like the entries
      if (idMap) await fs.lchown(next, toHost(0, idMap.uids), toHost(0, idMap.gids));
    } else if (st.isSymbolicLink()) {
      throw invalidArgument(`layer entry ${JSON.stringify(name)}: parent ${c} is a symlink`);
    } else if (!st.isDirectory()) {
      throw invalidArgument(`layer entry ${JSON.stringify(name)}: parent ${c} is not a directory`);
    }
    cur = next;
  }
  return cur;
}

/** Removes whatever is at `p` (without following symlinks), except a directory when `keepDir`. */
async function clear(p: string, keepDir: boolean): Promise<boolean> {
  const st = await lstatMaybe(p);
  if (!st) return false;
  if (st.isDirectory()) {
    if (keepDir) return true;
    await fs.rm(p, { recursive: true, force: true });
  } else {
    await fs.unlink(p);
  }
  return false;
}

interface DeferredTime {
  path: string;
  mtime: Date;
}

async function applyMeta(p: string, h: tar.Header, isLink: boolean, idMap: IdentityMapping | undefined): Promise<void> {
  const o = owner(h, idMap);
  await fs.lchown(p, o.uid, o.gid);
  // chown clears set-id bits, so chmod comes after it; symlinks have no mode of their own on Linux.
  if (!isLink) await fs.chmod(p, (h.mode ?? 0o644) & 0o7777);
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

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
  const feeding = pipeline(input, hasher, extract);
  feeding.catch(() => {}); // awaited below; avoid an unhandled rejection while entries are processed
  const dirTimes: DeferredTime[] = [];
  let size = 0;
  try {
    for await (const entry of extract) {
      size += await unpackEntry(dest, entry.header, entry as AsyncIterable<Buffer>, dirTimes, opts.idMap);
      await drain(entry);
    }
    await feeding;
  } catch (err) {
    extract.destroy();
    await feeding.catch(() => {});
    throw err;
  }
  // Directory mtimes last, deepest first, since creating children changed them.
  for (const d of dirTimes.reverse()) await fs.lutimes(d.path, d.mtime, d.mtime);
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

async function unpackEntry(dest: string, h: tar.Header, entry: AsyncIterable<Buffer>, dirTimes: DeferredTime[], idMap: IdentityMapping | undefined): Promise<number> {
  const comps = entryComponents(h.name);
  const mtime = h.mtime ?? new Date(0);
  if (comps.length === 0) {
    // The layer root itself ("./"): only its metadata matters.
    if (h.type === 'directory') {
      await applyMeta(dest, h, false, idMap);
      dirTimes.push({ path: dest, mtime });
    }
    return 0;
  }
  const base = comps[comps.length - 1]!;
  const parent = await walkDirs(dest, comps.slice(0, -1), h.name, true, idMap);
  const target = path.join(parent, base);

  if (base.startsWith(WHITEOUT_PREFIX)) {
    if (base === WHITEOUT_OPAQUE) {
      await setAttribute(parent, 'trusted.overlay.opaque', 'y');
    } else if (!base.startsWith(WHITEOUT_META_PREFIX)) {
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..' || hidden.includes('/')) throw invalidArgument(`layer entry ${JSON.stringify(h.name)}: bad whiteout`);
      const p = path.join(parent, hidden);
      await clear(p, false);
      await mknod(p, 'character-device', 0, 0, 0);
      if (idMap) await fs.lchown(p, owner(h, idMap).uid, owner(h, idMap).gid); // as the entry's owner, remapped
    }
    return 0;
  }

  switch (h.type) {
    case 'directory': {
      if (!(await clear(target, true))) await fs.mkdir(target, { mode: 0o700 });
      await applyMeta(target, h, false, idMap);
      dirTimes.push({ path: target, mtime });
      return 0;
    }
    case 'file':
    case 'contiguous-file': {
      await clear(target, false);
      // O_EXCL|O_NOFOLLOW: the path was just cleared, so this never writes through a link.
      const fh = await fs.open(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
      let written = 0;
      try {
        for await (const chunk of entry) {
          await fh.write(chunk);
          written += chunk.length;
        }
      } finally {
        await fh.close();
      }
      await applyMeta(target, h, false, idMap);
      await fs.lutimes(target, mtime, mtime);
      return written;
    }
    case 'symlink': {
      await clear(target, false);
      await fs.symlink(h.linkname ?? '', target);
      await applyMeta(target, h, true, idMap);
      await fs.lutimes(target, mtime, mtime);
      return 0;
    }
    case 'link': {
      const src = entryComponents(h.linkname ?? '');
      if (src.length === 0) throw invalidArgument(`layer entry ${JSON.stringify(h.name)}: empty hardlink target`);
      const srcDir = await walkDirs(dest, src.slice(0, -1), h.name, false);
      const srcPath = path.join(srcDir, src[src.length - 1]!);
      const st = await lstatMaybe(srcPath);
      if (!st || st.isDirectory()) {
        throw invalidArgument(`layer entry ${JSON.stringify(h.name)}: bad hardlink target ${JSON.stringify(h.linkname)}`);
      }
      if (srcPath === target) return 0;
      await clear(target, false);
      await fs.link(srcPath, target); // link(2) does not follow a symlink source
      return 0;
    }
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      await clear(target, false);
      await mknod(target, h.type, h.devmajor ?? 0, h.devminor ?? 0);
      await applyMeta(target, h, false, idMap);
      await fs.lutimes(target, mtime, mtime);
      return 0;
    }
    default:
      return 0; // unknown entry kinds are skipped, as Docker does
  }
}
