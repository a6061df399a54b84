/**
 * Extracts a tar stream into a directory of a Scope, as Docker's archive.Untar does for
 * `PUT /containers/{id}/archive`: names are taken relative to the destination (`..` out of it and links
 * pointing out of it are refused, see checkEntries), missing parents are made, an existing entry is
 * replaced unless both are directories (with noOverwriteDirNonDir a directory and a non-directory may
 * not replace each other), owners come from the headers (or `chown`), modes and times are applied,
 * directory times last. Under userns-remap (`idMap`) those owners are container ids, shifted into the
 * maps on disk, and missing parents belong to the container's root (see owners.ts).
 *
 * Parents are resolved in the scope (a symlink in the container leads where it would inside it); the
 * last component is never followed: an existing symlink there is replaced, not written through.
 */
import { constants as C, promises as fsp } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { BerthError, errnoCode, invalidArgument } from '../../core/errors.js';
import { mknod } from '../../host/index.js';
import type { IdentityMapping } from '../../core/idmap.js';
import { hostOwner, rootOwner, type Owner } from './owners.js';
import { checkLinkTarget, entryTarget, linkComponents } from './paths.js';
import type { Dir, Entry, Scope } from './scope.js';

export interface ExtractOptions {
  noOverwriteDirNonDir: boolean;
  /** owner of everything extracted (copyUIDGID with a container user); default: the headers' */
  chown?: Owner;
  /** userns-remap: the owners above are container ids, written shifted into these maps */
  idMap?: IdentityMapping;
  /** leave owners alone (the CLI extracting for its user) */
  noChown?: boolean;
}

/** An entry of a tar being read: its header and content (to be consumed or resumed before the next). */
export type TarEntry = { header: tar.Header; resume(): unknown } & AsyncIterable<Buffer>;

/** The entries of a tar stream; a malformed archive is an InvalidArgument. */
export async function* readTar(input: Readable): AsyncGenerator<TarEntry> {
  const extract = tar.extract();
  const feeding = pipeline(input, extract);
  feeding.catch(() => undefined);
  try {
    for await (const e of extract) yield e as unknown as TarEntry;
    await feeding;
  } catch (e) {
    if (e instanceof BerthError) throw e;
    throw invalidArgument(`invalid tar archive: ${(e as Error).message}`, e);
  } finally {
    extract.destroy();
    await feeding.catch(() => undefined);
  }
}

const TYPES = new Set(['file', 'contiguous-file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo']);

/**
 * The checks of an archive that need nothing but its headers, made before anything is written so a
 * bad archive changes nothing: names and links must stay inside the destination, and with `idMap` (an
 * extraction owning entries by their headers) every owner must have a host id.
 */
export async function checkEntries(entries: AsyncIterable<TarEntry>, destCtr: string, idMap?: IdentityMapping): Promise<void> {
  for await (const e of entries) {
    const h = e.header;
    if (idMap) hostOwner({ uid: h.uid ?? 0, gid: h.gid ?? 0 }, idMap);
    const comps = entryTarget(h.name, destCtr);
    if (h.type === 'symlink') checkLinkTarget('symlink', comps, h.linkname ?? '', h.name);
    if (h.type === 'link') checkLinkTarget('link', comps, h.linkname ?? '', h.name);
    if (comps.length === 0 && h.type !== 'directory' && TYPES.has(h.type ?? 'file')) {
      throw invalidArgument(`cannot overwrite the extraction directory ${JSON.stringify(destCtr)} with ${JSON.stringify(h.name)}`);
    }
    e.resume();
  }
}

/** Removes an entry and, for a directory, everything under it, through descriptors (no symlink followed). */
async function removeTree(scope: Scope, e: Entry): Promise<void> {
  if (e.mount) throw new BerthError('Conflict', `cannot replace mount point ${e.ctr}`);
  if (!e.stats) return;
  if (!e.stats.isDirectory()) {
    await fsp.unlink(e.host).catch((err: unknown) => { if (errnoCode(err) !== 'ENOENT') throw err; });
    return;
  }
  const dir = await scope.openDir(e);
  try {
    for (const n of await fsp.readdir(dir.host)) await removeTree(scope, await scope.child(dir, n));
  } finally {
    await scope.release(dir);
  }
  await fsp.rmdir(e.host);
}

async function withHandle<T>(p: string, flags: number, fn: (h: fsp.FileHandle) => Promise<T>): Promise<T> {
  const h = await fsp.open(p, flags | C.O_NOFOLLOW);
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

export class Extractor {
  /** parent directories by requested path (entries come grouped by directory) */
  private readonly dirs = new Map<string, Dir>();
  private readonly dirTimes: { path: string; mtime: Date }[] = [];

  constructor(private readonly scope: Scope, private readonly dest: Dir, private readonly opts: ExtractOptions) {}

  async run(entries: AsyncIterable<TarEntry>): Promise<void> {
    try {
      for await (const e of entries) {
        await this.entry(e.header, e);
        e.resume();
      }
      for (const d of this.dirTimes.reverse()) {
        const r = await this.scope.resolve(d.path).catch(() => undefined);
        if (!r) continue;
        if (r.entry.stats?.isDirectory() && !r.entry.mount) {
          await withHandle(r.entry.host, C.O_RDONLY | C.O_DIRECTORY, (h) => h.utimes(d.mtime, d.mtime)).catch(() => undefined);
        }
        await this.scope.release(r.parent);
      }
    } finally {
      for (const d of this.dirs.values()) if (d !== this.dest) await this.scope.release(d);
      this.dirs.clear();
    }
  }

  private owner(h: tar.Header): Owner {
    return hostOwner(this.opts.chown ?? { uid: h.uid ?? 0, gid: h.gid ?? 0 }, this.opts.idMap);
  }

  private async parentDir(comps: string[]): Promise<Dir> {
    if (comps.length === 0) return this.dest;
    const key = comps.join('/');
    const hit = this.dirs.get(key);
    if (hit) return hit;
    const d = await this.scope.openPath(`${this.dest.ctr}/${key}`, { create: true, owner: this.opts.idMap && !this.opts.noChown ? rootOwner(this.opts.idMap) : undefined });
    if (this.dirs.size >= 32) {
      const [k, old] = this.dirs.entries().next().value as [string, Dir];
      this.dirs.delete(k);
      if (old !== this.dest) await this.scope.release(old);
    }
    this.dirs.set(key, d);
    return d;
  }

  private async forget(comps: string[]): Promise<void> {
    const key = comps.join('/');
    for (const [k, d] of [...this.dirs]) {
      if (k === key || k.startsWith(`${key}/`)) {
        this.dirs.delete(k);
        if (d !== this.dest) await this.scope.release(d);
      }
    }
  }

  private async entry(h: tar.Header, body: AsyncIterable<Buffer>): Promise<void> {
    const type = h.type ?? 'file';
    if (!TYPES.has(type)) return; // unknown kinds are skipped, as Docker does
    const comps = entryTarget(h.name, this.dest.ctr);
    const mtime = h.mtime ?? new Date();
    const own = this.owner(h);
    const mode = (h.mode ?? 0o644) & 0o7777;
    if (comps.length === 0) {
      // "./": the destination's own metadata, as Docker applies it
      if (!this.opts.noChown) await this.dest.handle.chown(own.uid, own.gid);
      await this.dest.handle.chmod(mode);
      this.dirTimes.push({ path: this.dest.ctr, mtime });
      return;
    }
    const parent = await this.parentDir(comps.slice(0, -1));
    const name = comps[comps.length - 1]!;
    const cur = await this.scope.child(parent, name);
    const isDir = type === 'directory';
    if (cur.stats) {
      const curDir = cur.stats.isDirectory();
      if (this.opts.noOverwriteDirNonDir && curDir && !isDir) {
        throw invalidArgument(`cannot overwrite directory ${JSON.stringify(cur.ctr)} with non-directory ${JSON.stringify(h.name)}`);
      }
      if (this.opts.noOverwriteDirNonDir && !curDir && isDir) {
        throw invalidArgument(`cannot overwrite non-directory ${JSON.stringify(cur.ctr)} with directory ${JSON.stringify(h.name)}`);
      }
      if (!(curDir && isDir)) {
        await this.forget(comps);
        await removeTree(this.scope, cur);
      }
    }
    const target = cur.host;
    switch (type) {
      case 'directory': {
        if (cur.mount) return; // a mount point keeps its source's metadata
        if (!cur.stats) await fsp.mkdir(target, { mode: 0o700 });
        await withHandle(target, C.O_RDONLY | C.O_DIRECTORY, async (fh) => {
          if (!this.opts.noChown) await fh.chown(own.uid, own.gid);
          await fh.chmod(mode);
        });
        this.dirTimes.push({ path: cur.ctr, mtime });
        return;
      }
      case 'file':
      case 'contiguous-file': {
        await withHandle(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL, async (fh) => {
          for await (const chunk of body) await fh.write(chunk);
          if (!this.opts.noChown) await fh.chown(own.uid, own.gid);
          await fh.chmod(mode);
          await fh.utimes(mtime, mtime);
        });
        return;
      }
      case 'symlink': {
        await fsp.symlink(h.linkname ?? '', target);
        if (!this.opts.noChown) await fsp.lchown(target, own.uid, own.gid);
        await fsp.lutimes(target, mtime, mtime);
        return;
      }
      case 'link': {
        const src = linkComponents(h.linkname ?? '');
        const r = await this.scope.resolve(`${this.dest.ctr}/${src.join('/')}`);
        try {
          if (!r.entry.stats || r.entry.stats.isDirectory()) throw invalidArgument(`invalid hardlink ${JSON.stringify(h.name)} -> ${JSON.stringify(h.linkname)}`);
          await fsp.link(r.entry.host, target);
        } finally {
          await this.scope.release(r.parent);
        }
        return;
      }
      default: {
        await mknod(target, type, h.devmajor ?? 0, h.devminor ?? 0, mode);
        if (!this.opts.noChown) await fsp.lchown(target, own.uid, own.gid);
        await fsp.lutimes(target, mtime, mtime);
      }
    }
  }
}
