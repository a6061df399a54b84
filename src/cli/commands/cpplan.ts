/**
 * `cp` planning, pure (the docker CLI's pkg/archive copy rules): where an archive is extracted and how
 * its entries are renamed so that `cp SRC DST` makes DST whatever SRC was.
 *
 *   DST is a directory            SRC goes inside it (SRC/. : its contents)
 *   DST is a file, SRC a dir      error: cannot copy directory
 *   DST is a file, SRC a file     SRC replaces it (entries renamed to DST's base name)
 *   DST missing, SRC a dir        created from SRC (renamed), in DST's parent
 *   DST missing and ends in /     error when SRC is a file: no such directory
 *   DST missing                   created from SRC (renamed), in DST's parent
 */
import path from 'node:path';

export interface CopyEnd {
  path: string;
  exists: boolean;
  isDir: boolean;
  /** the name entries take when SRC was reached through a symlink (-L) */
  rebaseName?: string;
}

export class CopyPlanError extends Error {}

/** Whether a path names the current directory (`x/.`, `.`). */
export function specifiesCurrentDir(p: string): boolean {
  return p === '.' || p.endsWith('/.');
}

/** Directory and base name, keeping a trailing `.` (archive.SplitPathDirEntry). */
export function splitPathDirEntry(p: string): [string, string] {
  let clean = path.posix.normalize(p);
  if (clean.length > 1 && clean.endsWith('/')) clean = clean.slice(0, -1);
  if (specifiesCurrentDir(p)) clean = clean === '.' ? '.' : `${clean}/.`;
  return [path.posix.dirname(clean), path.posix.basename(clean) || '/'];
}

/** Where to extract, and the rename of entries (`from` prefix to `to`), if any. */
export function planCopy(src: CopyEnd, dst: CopyEnd): { dir: string; rebase?: { from: string; to: string } } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  const srcBase = src.rebaseName || splitPathDirEntry(src.path)[1];
  if (dst.exists && dst.isDir) return { dir: dst.path };
  if (dst.exists && src.isDir) throw new CopyPlanError('cannot copy directory');
  if (!dst.exists && !src.isDir && dst.path.endsWith('/')) throw new CopyPlanError('no such directory');
  return { dir: dstDir, rebase: { from: srcBase, to: dstBase } };
}

/** An entry name with its first `from` replaced by `to` (archive.RebaseArchiveEntries). */
export function rebaseName(name: string, from: string, to: string): string {
  const old = from === '/' ? '' : from;
  if (!name.startsWith(old)) return name;
  return `${to}${name.slice(old.length)}`;
}

/** `container:path` or a local path (a path with a `/` before any `:` is local, as docker's splitCpArg). */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}
