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
 *
 * Berth's client stamps the paths it sends (pax `BERTH.stamp`, kept in the index). In a delta (`delta`:
 * the build claimed the kept copy the client compared against; client/buildcontext.ts), an entry marked
 * `BERTH.same` lists the paths that did not change: the known ones stay as they are. A listed path the
 * known index does not have is a Conflict (the client then sends the whole context).
 */
import { constants as C, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { conflict, invalidArgument } from '../../core/errors.js';
import { maybeDecompress } from '../../images/streams.js';
import { completeTarEnd } from './tarend.js';
import { PAX_SAME, PAX_STAMP } from '../../client/buildcontext.js';

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
  | { type: 'file'; sum: string; mode: number; mtime: number; size: number; stamp?: string }
  | { type: 'dir'; mode: number; mtime: number; stamp?: string }
  | { type: 'symlink'; target: string; mtime: number; stamp?: string }
  | { type: 'link' };

/** A received context directory's contents: relative path -> entry. */
export type ContextIndex = Map<string, ContextEntry>;

/** The client's stamps of an index's paths (those it stamped), for its next delta. */
export function stampsOf(index: ContextIndex): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rel, e] of index) if (e.type !== 'link' && e.stamp !== undefined) out[rel] = e.stamp;
  return out;
}

/**
 * Unpacks a context tar stream into `dir`, which is empty or holds what `known` describes (its index
 * from the previous receive). Returns the new index; on an error `dir` is in no known state.
 */
export async function receiveContext(body: Readable, dir: string, signal?: AbortSignal, known: ContextIndex = new Map(), o: { delta?: boolean } = {}): Promise<{ files: number; written: number; index: ContextIndex; same: boolean }> {
  const knownSize = known.size;
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
  /** directories an entry was written into or removed from, and those the tar carries (by times) */
  const touched = new Set<string>();
  const carried = new Set<string>();
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
      touched.add(sub);
      if (!index.has(sub)) {
        const k = known.get(sub);
        index.set(sub, st?.isDirectory() && k?.type === 'dir' ? k : { type: 'dir', mode: 0o755, mtime: Date.now() });
      }
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
    const pax = (h as { pax?: Record<string, string> }).pax;
    if (pax?.[PAX_SAME] !== undefined) {
      await adopt(entry);
      return;
    }
    // a stamp is the client's few words on its lstat: a long one is not kept (it would only cost memory)
    const stamp = pax?.[PAX_STAMP] !== undefined && pax[PAX_STAMP].length <= MAX_STAMP ? pax[PAX_STAMP] : undefined;
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
        if (rel !== '') index.set(rel, { type: 'dir', mode, mtime: mtime.getTime(), stamp });
        await fsp.chmod(target, mode);
        dirTimes.push([target, mtime]);
        carried.add(rel);
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
          index.set(rel, { type: 'file', sum: hex, mode, mtime: t, size: bytes, stamp });
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
        index.set(rel, { type: 'file', sum: sum.digest('hex'), mode, mtime: t, size: bytes, stamp });
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
        index.set(rel, { type: 'symlink', target: h.linkname ?? '', mtime: t, stamp });
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
  /** A delta's list of unchanged paths (NUL-separated): their known entries stay. */
  async function adopt(entry: AsyncIterable<unknown>): Promise<void> {
    if (!o.delta) throw invalidArgument('invalid build context: a list of unchanged paths without a kept context to keep them from');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of entry) {
      if ((size += (c as Buffer).length) > MAX_SAME_LIST) throw invalidArgument('invalid build context: the list of unchanged paths is too long');
      chunks.push(c as Buffer);
    }
    for (const name of Buffer.concat(chunks).toString('utf8').split('\0')) {
      const rel = entryName(name);
      const k = known.get(rel);
      if (rel === '' || !k || index.has(rel)) throw conflict(`build context: ${JSON.stringify(rel)} is listed as unchanged, and the kept context does not have it: send the whole context`);
      index.set(rel, k);
      if (k.type === 'file') files++;
    }
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
    touched.add(parent);
    if (parent !== '' && index.get(parent)?.type !== 'dir') continue;
    await fsp.rm(path.join(dir, rel), { force: true, recursive: true });
  }
  // a directory the tar did not carry (a delta's unchanged one) keeps its time though its entries changed
  for (const d of touched) {
    const e = index.get(d);
    if (!carried.has(d) && e?.type === 'dir') await fsp.utimes(path.join(dir, d), e.mtime / 1000, e.mtime / 1000).catch(() => undefined);
  }
  // the root, when the tar has no entry for it (the docker CLI sends none): the time of this receive, as a
  // directory just unpacked has (COPY . gives it to the destination)
  if (!carried.has('')) await fsp.utimes(dir, new Date(), new Date()).catch(() => undefined);
  for (const [d, t] of dirTimes.reverse()) await fsp.utimes(d, t, t).catch(() => undefined);
  // what COPY's cache key reads (paths, kinds, modes, contents, link targets) is what `known` had
  const same = knownSize > 0 && index.size === knownSize && [...index].every(([rel, e]) => sameContent(e, known.get(rel)));
  return { files, written, index, same };
}

/** Whether two entries of a path give COPY the same content (times aside). */
function sameContent(a: ContextEntry, b: ContextEntry | undefined): boolean {
  if (!b || a.type !== b.type) return false;
  switch (a.type) {
    case 'file': return b.type === 'file' && a.sum === b.sum && a.mode === b.mode && a.size === b.size;
    case 'dir': return b.type === 'dir' && a.mode === b.mode;
    case 'symlink': return b.type === 'symlink' && a.target === b.target;
    default: return false;
  }
}

/** The longest stamp kept (Berth's client sends about 60 characters). */
const MAX_STAMP = 256;

/** A delta's list of unchanged paths is read whole: no longer than this. */
const MAX_SAME_LIST = 64 << 20;

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
