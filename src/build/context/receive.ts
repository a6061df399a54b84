/**
 * The build context: the request body (a tar, plain, gzip, bzip2 or xz) unpacked as it arrives into a
 * private directory, one entry at a time, so the daemon never holds it whole. Entries that would leave
 * the directory (`..` components) are refused; absolute names are taken relative to it, as Docker does.
 * Owners are not kept (COPY gives files to root unless --chown says otherwise); modes and times are.
 *
 * A directory may be received into again (the builder keeps the last build's context): `known` is what
 * the directory holds, from the previous receive. A file whose content (sha256, computed as the entry
 * streams in), mode and time are unchanged is not written again, and paths the new tar does not have are
 * removed at the end. Each file's sha256 is kept in the index, so COPY's cache key needs no second read.
 */
import { constants as C, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { invalidArgument } from '../../core/errors.js';
import { maybeDecompress } from '../../images/streams.js';
import { completeTarEnd } from './tarend.js';

/** The cleaned relative name of an entry; InvalidArgument when it climbs out. */
export function entryName(name: string): string {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') throw invalidArgument(`invalid build context: entry ${JSON.stringify(name)} leaves the context`);
    parts.push(p);
  }
  return parts.join('/');
}

/** What one path of a received context is; files carry the sha256 (hex) of their content. */
export type ContextEntry =
  | { type: 'file'; sum: string; mode: number; mtime: number; size: number }
  | { type: 'dir'; mode: number; mtime: number }
  | { type: 'symlink'; target: string; mtime: number }
  | { type: 'link' };

/** A received context directory's contents: relative path -> entry. */
export type ContextIndex = Map<string, ContextEntry>;

/**
 * Unpacks a context tar stream into `dir`, which is empty or holds what `known` describes (its index
 * from the previous receive). Returns the new index; on an error `dir` is in no known state.
 */
export async function receiveContext(body: Readable, dir: string, signal?: AbortSignal, known: ContextIndex = new Map()): Promise<{ files: number; written: number; index: ContextIndex }> {
  const input = await maybeDecompress(body);
  const index: ContextIndex = new Map();
  let written = 0;
  /** a large changed file is received here (beside `dir`, on its file system) before it replaces the old */
  const part = `${dir}.part`;
  const extract = tar.extract();
  let files = 0;
  const dirTimes: [string, Date][] = [];
  const done = pipeline(input, completeTarEnd(), extract, { signal }).catch((e: unknown) => {
    throw invalidArgument(`invalid build context: ${(e as Error).message}`, e);
  });
  done.catch(() => undefined);
  /** directories known to be real directories (not symlinks) inside `dir` */
  const safe = new Set<string>(['']);
  const parentOf = async (rel: string) => {
    const parts = rel.split('/').slice(0, -1);
    for (let k = 1; k <= parts.length; k++) {
      const sub = parts.slice(0, k).join('/');
      if (safe.has(sub)) continue;
      const st = await fsp.lstat(path.join(dir, sub)).catch(() => undefined);
      if (st && !st.isDirectory() && !index.has(sub)) {
        // left by the previous context: this one has a directory there
        await fsp.rm(path.join(dir, sub), { force: true });
        forgetBelow(sub);
        await fsp.mkdir(path.join(dir, sub), { mode: 0o755 });
      } else if (!st) await fsp.mkdir(path.join(dir, sub), { mode: 0o755 });
      else if (!st.isDirectory()) throw invalidArgument(`invalid build context: entry ${JSON.stringify(rel)} is below a non-directory`);
      safe.add(sub);
      if (!index.has(sub)) index.set(sub, { type: 'dir', mode: 0o755, mtime: Date.now() });
    }
  };
  const replaced = (rel: string) => {
    for (const s of safe) if (s === rel || s.startsWith(`${rel}/`)) safe.delete(s);
  };
  try {
    for await (const entry of extract) await one(entry);
  } catch (e) {
    await done.catch(() => undefined);
    extract.destroy();
    if (e instanceof Error && 'kind' in e) throw e;
    throw invalidArgument(`invalid build context: ${(e as Error).message}`, e);
  }
  async function one(entry: { header: tar.Header; resume(): unknown } & AsyncIterable<unknown>) {
    const h = entry.header;
    const rel = entryName(h.name);
    const target = rel === '' ? dir : path.join(dir, rel);
    const mode = (h.mode ?? 0o644) & 0o7777;
    const mtime = h.mtime ?? new Date();
    if (rel !== '') {
      await parentOf(rel);
      if (h.type !== 'directory') replaced(rel);
      // known entries below a path that is no longer a directory went with it
      const was = index.get(rel) ?? known.get(rel);
      if (was?.type === 'dir' && h.type !== 'directory') forgetBelow(rel);
    }
    switch (h.type) {
      case 'directory':
        if (!(await fsp.lstat(target).then((st) => st.isDirectory(), () => false))) {
          await fsp.rm(target, { force: true });
          await fsp.mkdir(target, { mode: 0o755 });
        }
        safe.add(rel);
        if (rel !== '') index.set(rel, { type: 'dir', mode, mtime: mtime.getTime() });
        await fsp.chmod(target, mode);
        dirTimes.push([target, mtime]);
        break;
      case 'file':
      case 'contiguous-file': {
        const was = index.get(rel) ?? known.get(rel);
        const sum = createHash('sha256');
        const t = mtime.getTime();
        if (was?.type === 'file') {
          // the same path as before: read the entry first, write only when its content changed
          const chunks: Buffer[] = [];
          let size = 0;
          let bytes = 0;
          let fh: FileHandle | undefined;
          try {
            for await (const chunk of entry) {
              sum.update(chunk as Buffer);
              bytes += (chunk as Buffer).length;
              if (fh) await fh.write(chunk as Buffer);
              else if ((size += (chunk as Buffer).length) <= HOLD) chunks.push(chunk as Buffer);
              else {
                // large: to a file next to it as it arrives, kept only when the content differs
                fh = await fsp.open(part, C.O_WRONLY | C.O_CREAT | C.O_TRUNC | C.O_NOFOLLOW, 0o600);
                for (const c of chunks.splice(0)) await fh.write(c);
                await fh.write(chunk as Buffer);
              }
            }
          } finally {
            await fh?.close();
          }
          const hex = sum.digest('hex');
          if (hex === was.sum) {
            if (fh) await fsp.rm(part, { force: true });
            if (was.mode !== mode) await fsp.chmod(target, mode);
            if (was.mtime !== t) await fsp.utimes(target, mtime, mtime);
          } else {
            await fsp.rm(target, { force: true, recursive: true });
            if (fh) await fsp.rename(part, target);
            else await writeNew(target, chunks);
            await fsp.chmod(target, mode);
            await fsp.utimes(target, mtime, mtime);
            written++;
          }
          index.set(rel, { type: 'file', sum: hex, mode, mtime: t, size: bytes });
          files++;
          break;
        }
        await fsp.rm(target, { force: true, recursive: true });
        const fh = await fsp.open(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        let bytes = 0;
        try {
          for await (const chunk of entry) {
            sum.update(chunk as Buffer);
            bytes += (chunk as Buffer).length;
            await fh.write(chunk as Buffer);
          }
          await fh.chmod(mode);
          await fh.utimes(mtime, mtime);
        } finally {
          await fh.close();
        }
        index.set(rel, { type: 'file', sum: sum.digest('hex'), mode, mtime: t, size: bytes });
        files++;
        written++;
        break;
      }
      case 'symlink': {
        const was = index.get(rel) ?? known.get(rel);
        const t = mtime.getTime();
        if (was?.type !== 'symlink' || was.target !== (h.linkname ?? '')) {
          await fsp.rm(target, { force: true, recursive: true });
          await fsp.symlink(h.linkname ?? '', target);
        }
        if (was?.type !== 'symlink' || was.mtime !== t) await fsp.lutimes(target, mtime, mtime).catch(() => undefined);
        index.set(rel, { type: 'symlink', target: h.linkname ?? '', mtime: t });
        break;
      }
      case 'link': {
        const srcRel = entryName(h.linkname ?? '');
        await parentOf(srcRel);
        const src = path.join(dir, srcRel);
        if ((await fsp.lstat(src)).isSymbolicLink()) throw invalidArgument(`invalid build context: hard link ${JSON.stringify(h.name)} to a symlink`);
        await fsp.rm(target, { force: true, recursive: true });
        await fsp.link(src, target);
        // no sum: a COPY reads it; the next context makes it again
        index.set(rel, { type: 'link' });
        break;
      }
      default:
        break; // devices and fifos have no place in a build context
    }
    entry.resume();
  }
  /** Drops known entries below `rel` (its directory was replaced: they went with it). */
  function forgetBelow(rel: string): void {
    for (const m of [known, index]) for (const k of m.keys()) if (k.startsWith(`${rel}/`)) m.delete(k);
  }
  await done;
  // what the last context had and this one does not: removed where its parent is still a directory of
  // this context (otherwise the parent went, with it); never through a symlink
  for (const [rel] of known) {
    if (index.has(rel)) continue;
    const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    if (parent !== '' && index.get(parent)?.type !== 'dir') continue;
    await fsp.rm(path.join(dir, rel), { force: true, recursive: true });
  }
  for (const [d, t] of dirTimes.reverse()) await fsp.utimes(d, t, t).catch(() => undefined);
  return { files, written, index };
}

/** Files up to this size are held in memory while their content is compared with the known one. */
const HOLD = 1 << 20;

async function writeNew(target: string, chunks: Buffer[]): Promise<void> {
  const fh = await fsp.open(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
  try {
    for (const c of chunks) await fh.write(c);
  } finally {
    await fh.close();
  }
}
