/**
 * `docker diff` from a container's overlay upper directory, as moby's archive.OverlayChanges: every
 * entry of the upper directory is a change; a 0/0 character device (overlay whiteout) or an opaque
 * directory (trusted.overlay.opaque=y) is a deletion; an entry that exists in a lower layer is a
 * modification, except a directory whose size, mode and mtime are unchanged (it is only there as the
 * parent of something); the parent of an addition or deletion is reported modified once, before it.
 *
 * What Docker keeps in its hidden init layer (runc's mount points for /etc/hosts, /proc, ...: see
 * INIT_LAYER_PATHS) is left out, and so is a directory that holds nothing else (see initNoise).
 */
import { getAttribute } from '../../core/xattr.js';
import { promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { INIT_LAYER_PATHS } from './paths.js';

export interface FilesystemChange {
  Path: string;
  /** 0 modified, 1 added, 2 deleted */
  Kind: 0 | 1 | 2;
}

interface Node {
  path: string;
  st: BigIntStats;
  children: Node[];
}

async function lstatMaybe(p: string): Promise<BigIntStats | undefined> {
  try {
    return await fsp.lstat(p, { bigint: true });
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** lstat of a path inside a layer directory, never through a symlink of the layer. */
async function lstatInLayer(layer: string, p: string): Promise<BigIntStats | undefined> {
  const parts = p.split('/').filter(Boolean);
  let cur = layer;
  for (let i = 0; i < parts.length; i++) {
    cur = path.join(cur, parts[i]!);
    const st = await lstatMaybe(cur);
    if (!st || (i < parts.length - 1 && !st.isDirectory())) return undefined;
    if (i === parts.length - 1) return st;
  }
  return undefined;
}

/** The upper directory as a tree, children in name order (empty when the container never ran). */
async function readTree(upper: string): Promise<Node[]> {
  const walk = async (rel: string): Promise<Node[]> => {
    let names: string[];
    try {
      names = (await fsp.readdir(path.join(upper, rel))).sort();
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return [];
      throw e;
    }
    const out: Node[] = [];
    for (const n of names) {
      const p = rel === '/' ? `/${n}` : `${rel}/${n}`;
      const st = await lstatMaybe(path.join(upper, p));
      if (!st) continue;
      out.push({ path: p, st, children: st.isDirectory() ? await walk(p) : [] });
    }
    return out;
  };
  return walk('/');
}

export function isWhiteout(st: { isCharacterDevice(): boolean; rdev: number | bigint }): boolean {
  return st.isCharacterDevice() && Number(st.rdev) === 0;
}

export async function isOpaque(hostPath: string): Promise<boolean> {
  const v = await getAttribute(hostPath, 'trusted.overlay.opaque').catch(() => null);
  return v !== null && v.length === 1 && v[0] === 0x79;
}

/**
 * Upper-directory paths that only exist because runc made mount points: the init-layer paths, what is
 * under them, and directories that hold nothing but those.
 */
export async function initNoise(upper: string): Promise<Set<string>> {
  // only the init paths and their parents are looked at (a build's layer of many files is not walked)
  const noise = new Set<string>();
  const all = async (p: string, st: BigIntStats): Promise<void> => {
    noise.add(p);
    if (!st.isDirectory()) return;
    for (const n of await fsp.readdir(path.join(upper, p)).catch(() => [] as string[])) {
      const c = `${p}/${n}`;
      const cst = await lstatMaybe(path.join(upper, c));
      if (cst) await all(c, cst);
    }
  };
  const ancestors = new Set<string>();
  for (const p of INIT_LAYER_PATHS) {
    const st = await lstatInLayer(upper, p);
    if (st) await all(p, st);
    for (let a = path.posix.dirname(p); a !== '/'; a = path.posix.dirname(a)) ancestors.add(a);
  }
  // deepest first: a parent is noise when it is a directory holding nothing but noise
  for (const a of [...ancestors].sort((x, y) => y.split('/').length - x.split('/').length)) {
    if (noise.has(a) || !(await lstatInLayer(upper, a))?.isDirectory()) continue;
    const names = await fsp.readdir(path.join(upper, a));
    if (names.length > 0 && names.every((n) => noise.has(`${a}/${n}`))) noise.add(a);
  }
  return noise;
}

function sameTime(a: bigint, b: bigint): boolean {
  const NS = 1_000_000_000n;
  if (a % NS === 0n || b % NS === 0n) return a / NS === b / NS;
  return a === b;
}

/** The container's changes; `lowers` are the image layer directories, top first. */
export async function upperChanges(upper: string, lowers: readonly string[]): Promise<FilesystemChange[]> {
  const noise = await initNoise(upper);
  const changes: FilesystemChange[] = [];
  const changedDirs = new Set<string>();
  const visit = async (n: Node): Promise<void> => {
    if (noise.has(n.path)) return;
    if (!/^\/\.wh\.\.wh\./.test(n.path)) await record(n);
    for (const c of n.children) await visit(c);
  };
  const record = async (n: Node): Promise<void> => {
    let kind: FilesystemChange['Kind'];
    if (isWhiteout(n.st) || (n.st.isDirectory() && (await isOpaque(path.join(upper, n.path))))) {
      kind = 2;
    } else {
      kind = 1;
      for (const l of lowers) {
        const st = await lstatInLayer(l, n.path);
        if (!st) continue;
        if (st.isDirectory() && n.st.isDirectory() && st.size === n.st.size && st.mode === n.st.mode && sameTime(st.mtimeNs, n.st.mtimeNs)) return;
        kind = 0;
        break;
      }
    }
    if (n.st.isDirectory()) changedDirs.add(n.path);
    if (kind !== 0) {
      const parent = path.posix.dirname(n.path);
      if (!changedDirs.has(parent) && parent !== '/') {
        changes.push({ Path: parent, Kind: 0 });
        changedDirs.add(parent);
      }
    }
    changes.push({ Path: n.path, Kind: kind });
  };
  for (const n of await readTree(upper)) await visit(n);
  return changes;
}
