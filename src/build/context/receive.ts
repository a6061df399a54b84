/**
 * The build context: the request body (a tar, plain, gzip, bzip2 or xz) unpacked as it arrives into a
 * private directory, one entry at a time, so the daemon never holds it whole. Entries that would leave
 * the directory (`..` components) are refused; absolute names are taken relative to it, as Docker does.
 * Owners are not kept (COPY gives files to root unless --chown says otherwise); modes and times are.
 */
import { constants as C, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument } from '../../core/errors.js';
import { maybeDecompress } from '../../images/streams.js';

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

/** Unpacks a context tar stream into `dir` (which must exist and be empty). Returns the bytes unpacked. */
export async function receiveContext(body: Readable, dir: string, signal?: AbortSignal): Promise<{ files: number }> {
  const input = await maybeDecompress(body);
  const extract = tar.extract();
  let files = 0;
  const dirTimes: [string, Date][] = [];
  const done = pipeline(input, extract, { signal }).catch((e: unknown) => {
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
      if (!st) await fsp.mkdir(path.join(dir, sub), { mode: 0o755 });
      else if (!st.isDirectory()) throw invalidArgument(`invalid build context: entry ${JSON.stringify(rel)} is below a non-directory`);
      safe.add(sub);
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
    }
    switch (h.type) {
      case 'directory':
        if (!(await fsp.lstat(target).then((st) => st.isDirectory(), () => false))) {
          await fsp.rm(target, { force: true });
          await fsp.mkdir(target, { mode: 0o755 });
        }
        safe.add(rel);
        await fsp.chmod(target, mode);
        dirTimes.push([target, mtime]);
        break;
      case 'file':
      case 'contiguous-file': {
        await fsp.rm(target, { force: true, recursive: true });
        const fh = await fsp.open(target, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of entry) await fh.write(chunk as Buffer);
          await fh.chmod(mode);
          await fh.utimes(mtime, mtime);
        } finally {
          await fh.close();
        }
        files++;
        break;
      }
      case 'symlink':
        await fsp.rm(target, { force: true, recursive: true });
        await fsp.symlink(h.linkname ?? '', target);
        await fsp.lutimes(target, mtime, mtime).catch(() => undefined);
        break;
      case 'link': {
        const srcRel = entryName(h.linkname ?? '');
        await parentOf(srcRel);
        const src = path.join(dir, srcRel);
        if ((await fsp.lstat(src)).isSymbolicLink()) throw invalidArgument(`invalid build context: hard link ${JSON.stringify(h.name)} to a symlink`);
        await fsp.rm(target, { force: true, recursive: true });
        await fsp.link(src, target);
        break;
      }
      default:
        break; // devices and fifos have no place in a build context
    }
    entry.resume();
  }
  await done;
  for (const [d, t] of dirTimes.reverse()) await fsp.utimes(d, t, t).catch(() => undefined);
  return { files };
}
