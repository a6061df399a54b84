/**
 * COPY and ADD sources: what a step copies, where each file lands, the hash of it all (content and
 * metadata, mtime excluded, for the cache key) and the tar that carries it into the step's container.
 *
 *   - sources are paths in the context (or in another stage's or image's root with --from); `..` that
 *     climbs out and symlinks are resolved inside that root, so nothing outside it is ever read;
 *   - wildcards match one path element each, as Go's filepath.Match; paths .dockerignore excludes do not
 *     exist for COPY; --exclude patterns drop paths below a source;
 *   - a directory copies its contents; a file lands at the destination, or inside it when the destination
 *     ends with `/` or is a directory; several sources need a destination ending in `/`;
 *   - ADD unpacks local tar archives (plain, gzip, bzip2, xz; recognised by content) into the destination.
 */
import { globRegExp } from '../core/glob.js';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { invalidArgument, isKind } from '../core/errors.js';
import { maybeDecompress } from '../images/streams.js';
import { resolveInRoot } from '../volumes/copyup.js';
import { entryName, type ContextEntry, type ContextIndex } from './context/receive.js';
import { IgnoreMatcher } from '../core/dockerignore.js';

export interface CopyRoot {
  /** host directory the sources are read from */
  dir: string;
  /** the context's .dockerignore (none for --from) */
  ignore?: IgnoreMatcher;
  /** the context's index: files' sums without reading them again */
  index?: ContextIndex;
}

export type CopyItem =
  | { kind: 'file'; host: string; name: string; mode: number; size: number; mtime: Date }
  | { kind: 'dir'; host?: string; name: string; mode: number; mtime: Date; rootOwned?: boolean; owner?: Owner }
  | { kind: 'symlink'; name: string; target: string; mode: number; mtime: Date }
  | { kind: 'data'; name: string; data: Buffer; mode: number; mtime: Date }
  | { kind: 'archive'; host: string; name: string };

export interface CopyPlan {
  items: CopyItem[];
  /**
   * Directories that get the items' owner when this copy creates them (Docker 20.10's builder: every
   * missing parent of a file copied from a file source; the destination of a directory source, not the
   * parents above it). Those that exist keep theirs; the other missing ones are root's.
   */
  ownNew: ReadonlySet<string>;
  /** `file:<hex>`, `dir:<hex>` or `multi:<hex>`, as Docker's history shows the sources */
  sourceDesc: string;
}

export interface Owner {
  uid: number;
  gid: number;
}

const hasMeta = (s: string) => /[*?[]/.test(s);

/** Go's filepath.Match for one pattern against a `/`-separated path (elements matched one by one). */
export function goMatch(pattern: string, name: string): boolean {
  return globRegExp(pattern).test(name);
}

/** A source path cleaned relative to its root; InvalidArgument when it leaves it (Docker's text). */
export function cleanSource(src: string, isContext: boolean): string {
  const norm = path.posix.normalize(src.startsWith('/') ? src.slice(1) || '.' : src);
  if (isContext && (norm === '..' || norm.startsWith('../'))) throw invalidArgument(`forbidden path outside the build context: ${src} ()`);
  return norm === '.' || norm === './' ? '' : norm.replace(/^\.\/|\/$/g, '');
}

const notFound = (src: string) => invalidArgument(`file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`);

/** Expands one source (wildcards included) to the context-relative paths it names. */
async function matchSource(root: CopyRoot, src: string, isContext: boolean): Promise<string[]> {
  const rel = cleanSource(src, isContext);
  if (!hasMeta(rel)) {
    if (rel !== '' && root.ignore?.ignores(rel)) throw notFound(src);
    const host = await resolveInRoot(root.dir, rel);
    if (!(await fsp.lstat(host).then(() => true, () => false))) throw notFound(src);
    return [rel];
  }
  const parts = rel.split('/');
  let found = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of found) {
      if (!hasMeta(part)) {
        next.push(base ? `${base}/${part}` : part);
        continue;
      }
      const dir = await resolveInRoot(root.dir, base);
      const names = await fsp.readdir(dir).catch(() => [] as string[]);
      for (const n of names.sort()) if (goMatch(part, n)) next.push(base ? `${base}/${n}` : n);
    }
    found = next;
  }
  const out: string[] = [];
  for (const f of found) {
    if (root.ignore?.ignores(f)) continue;
    if (await fsp.lstat(await resolveInRoot(root.dir, f)).then(() => true, () => false)) out.push(f);
  }
  if (out.length === 0) throw invalidArgument('no source files were specified');
  return out;
}

export interface PlanOptions {
  sources: string[];
  /** absolute destination in the container */
  dest: string;
  /** the destination ends with `/` or is an existing directory */
  destIsDir: boolean;
  isContext: boolean;
  exclude: string[];
  /** ADD: unpack local archives */
  unpack: boolean;
  parents: boolean;
  /** heredoc sources: name -> content */
  inline: { name: string; content: string }[];
  /** the instruction, for error texts (default COPY) */
  cmd?: 'COPY' | 'ADD';
  /** hash the contents (for the cache key); off when only the items are wanted */
  hash?: boolean;
}

/**
 * Whether ADD unpacks a file, as Docker's IsArchivePath decides it: its content, decompressed when it is
 * gzip, bzip2 or xz, starts with a tar header whose checksum holds. Anything else (a compressed file that
 * is not a tar, a broken archive) is copied as it is.
 */
async function isArchive(file: string): Promise<boolean> {
  let head = Buffer.alloc(0);
  const src = createReadStream(file);
  try {
    for await (const c of await maybeDecompress(src)) {
      head = Buffer.concat([head, c as Buffer]);
      if (head.length >= 512) break;
    }
  } catch {
    return false;
  } finally {
    src.destroy();
  }
  return head.length >= 512 && tarHeaderValid(head.subarray(0, 512));
}

/** A tar header block: not all zeros, and its checksum (bytes summed, the checksum field as spaces) holds. */
export function tarHeaderValid(h: Buffer): boolean {
  const field = h.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === parseInt(field, 8);
}

/** Plans a COPY/ADD: the items to write, named by their absolute destination (without the leading `/`). */
export async function planCopy(root: CopyRoot, o: PlanOptions): Promise<CopyPlan> {
  const dest = path.posix.normalize(o.dest);
  const items: CopyItem[] = [];
  const matched: string[] = [];
  const cmd = o.cmd ?? 'COPY';
  for (const s of o.sources) {
    // the classic builder names the instruction in front of a source's error: `COPY failed: ...`
    try {
      matched.push(...(await matchSource(root, s, o.isContext)));
    } catch (e) {
      throw isKind(e, 'InvalidArgument') ? invalidArgument(`${cmd} failed: ${(e as Error).message}`) : e;
    }
  }
  const total = matched.length + o.inline.length;
  if (total > 1 && !o.destIsDir) throw invalidArgument(`When using ${cmd} with more than one source file, the destination must be a directory and end with a /`);
  const excludes = o.exclude.map((p) => new IgnoreMatcher([p]));
  const strip = (p: string) => p.replace(/^\/+/, '');
  const now = new Date();
  const ownNew = new Set<string>();
  // what an archive unpacked before made (its destination and the parents above it, root's): it exists
  // when a later source is copied, as in Docker, which copies the sources one after another
  const archiveMade = new Set<string>();
  const ownParents = (name: string) => {
    for (let p = path.posix.dirname(name); p !== '.' && p !== ''; p = path.posix.dirname(p)) if (!archiveMade.has(p)) ownNew.add(p);
  };
  for (const h of o.inline) {
    items.push({ kind: 'data', name: strip(o.destIsDir ? path.posix.join(dest, h.name) : dest), data: Buffer.from(h.content), mode: 0o644, mtime: now });
    ownParents(items[items.length - 1]!.name);
  }
  let dirs = 0;
  for (const rel of matched) {
    const host = await resolveInRoot(root.dir, rel);
    const st = await fsp.stat(host);
    if (st.isDirectory()) {
      dirs++;
      const target = o.parents ? path.posix.join(dest, rel) : dest;
      await walk(root, host, rel, strip(target), excludes, items);
      const top = strip(target).replace(/\/+$/, '');
      if (top && !archiveMade.has(top)) ownNew.add(top);
      continue;
    }
    const name = strip(o.destIsDir ? path.posix.join(dest, o.parents ? rel : path.posix.basename(rel)) : dest);
    // an archive unpacks into the destination, a directory whether or not it ends in `/` (Docker's UntarPath);
    // its entries keep the archive's owners and the directories it makes are root's, --chown or not
    if (o.unpack && (await isArchive(host))) {
      const at = strip(dest) || '';
      items.push({ kind: 'archive', host, name: at });
      for (let p = at.replace(/\/+$/, ''); p !== '.' && p !== ''; p = path.posix.dirname(p)) archiveMade.add(p);
    } else {
      items.push({ kind: 'file', host, name, mode: st.mode & 0o7777, size: st.size, mtime: st.mtime });
      ownParents(name);
    }
  }
  const hash = o.hash === false ? '' : await hashItems(items, root);
  const kind = total > 1 ? 'multi' : dirs > 0 ? 'dir' : 'file';
  return { items, ownNew, sourceDesc: `${kind}:${hash}` };
}

/** The names in each directory of a context index ('' is the root), sorted; made once per index. */
const listings = new WeakMap<ContextIndex, Map<string, string[]>>();
function listing(index: ContextIndex): Map<string, string[]> {
  let m = listings.get(index);
  if (m) return m;
  m = new Map();
  for (const k of index.keys()) {
    const slash = k.lastIndexOf('/');
    const dir = slash < 0 ? '' : k.slice(0, slash);
    let l = m.get(dir);
    if (!l) m.set(dir, (l = []));
    l.push(slash < 0 ? k : k.slice(slash + 1));
  }
  for (const l of m.values()) l.sort();
  listings.set(index, m);
  return m;
}

/** What lstat would say of a context path, from the context's index (hard links: undefined, ask lstat). */
function indexStat(e: ContextEntry | undefined): Pick<Stats, 'isDirectory' | 'isSymbolicLink' | 'isFile' | 'mode' | 'size' | 'mtime'> | undefined {
  if (!e || e.type === 'link') return undefined;
  const is = (t: string) => () => e.type === t;
  return {
    isDirectory: is('dir'), isSymbolicLink: is('symlink'), isFile: is('file'),
    mode: e.type === 'symlink' ? 0o777 : e.mode, size: e.type === 'file' ? e.size : 0, mtime: new Date(e.mtime),
  };
}

async function walk(root: CopyRoot, host: string, rel: string, name: string, excludes: IgnoreMatcher[], items: CopyItem[], sub = ''): Promise<void> {
  // a directory of the received context is listed from its index: no system call per file
  const prefix = `${root.dir}/`;
  const hostRel = root.index && host.startsWith(prefix) ? host.slice(prefix.length) : root.index && host === root.dir ? '' : undefined;
  const listed = hostRel === undefined ? undefined : listing(root.index!).get(hostRel);
  const names = listed ?? (await fsp.readdir(host)).sort();
  for (const n of names) {
    const childRel = rel ? `${rel}/${n}` : n;
    const childSub = sub ? `${sub}/${n}` : n;
    if (excludes.some((e) => e.ignores(childSub))) continue;
    const ignored = root.ignore?.ignores(childRel) ?? false;
    const h = path.join(host, n);
    const known = listed ? indexStat(root.index!.get(hostRel ? `${hostRel}/${n}` : n)) : undefined;
    const st = known ?? await fsp.lstat(h);
    const childName = name ? `${name}/${n}` : n;
    if (st.isDirectory()) {
      if (ignored && !root.ignore!.mayReinclude(childRel)) continue;
      if (!ignored) items.push({ kind: 'dir', host: h, name: childName, mode: st.mode & 0o7777, mtime: st.mtime });
      await walk(root, h, childRel, childName, excludes, items, childSub);
      continue;
    }
    if (ignored) continue;
    if (st.isSymbolicLink()) {
      const e = listed ? root.index!.get(hostRel ? `${hostRel}/${n}` : n) : undefined;
      items.push({ kind: 'symlink', name: childName, target: e?.type === 'symlink' ? e.target : await fsp.readlink(h), mode: 0o777, mtime: st.mtime });
    }
    else if (st.isFile()) items.push({ kind: 'file', host: h, name: childName, mode: st.mode & 0o7777, size: st.size, mtime: st.mtime });
  }
}

async function fileHash(file: string, size = Infinity): Promise<string> {
  const h = createHash('sha256');
  if (size < 1 << 20) h.update(await fsp.readFile(file, { flag: 'r' }));
  else for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

/** The hash of what the items write: names, kinds, modes, sizes, link targets and contents; no times. */
async function hashItems(items: CopyItem[], root: CopyRoot): Promise<string> {
  const h = createHash('sha256');
  // file contents are read in parallel batches, hashed in order (the context's index knows most sums)
  const sums = new Map<CopyItem, string>();
  const prefix = `${root.dir}/`;
  const files = items.filter((it): it is Extract<CopyItem, { kind: 'file' }> => {
    if (it.kind !== 'file') return false;
    const known = root.index && it.host.startsWith(prefix) ? root.index.get(it.host.slice(prefix.length)) : undefined;
    if (known?.type !== 'file') return true;
    sums.set(it, known.sum);
    return false;
  });
  for (let i = 0; i < files.length; i += 32) {
    const batch = files.slice(i, i + 32);
    const got = await Promise.all(batch.map((f) => fileHash(f.host, f.size)));
    batch.forEach((f, k) => sums.set(f, got[k]!));
  }
  for (const it of items) {
    switch (it.kind) {
      case 'file': h.update(`f\0${it.name}\0${it.mode}\0${it.size}\0${sums.get(it)}\n`); break;
      case 'dir': h.update(`d\0${it.name}\0${it.mode}\n`); break;
      case 'symlink': h.update(`l\0${it.name}\0${it.target}\n`); break;
      case 'data': h.update(`i\0${it.name}\0${it.mode}\0${createHash('sha256').update(it.data).digest('hex')}\n`); break;
      case 'archive': h.update(`a\0${it.name}\0${await fileHash(it.host)}\n`); break;
    }
  }
  return h.digest('hex');
}

export interface PackOptions {
  owner: Owner;
  /** the plan's `ownNew`: missing directories made with `owner` rather than root */
  ownNew?: ReadonlySet<string>;
  /** --chmod: the mode of files and directories */
  chmod?: number;
}

/** The tar that writes the items (names relative to `/`); parents are made by the extraction. */
const SMALL_FILE = 256 << 10;
const READ_AHEAD = 16;

export function packItems(items: CopyItem[], o: PackOptions): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  const run = async () => {
    const base = { uid: o.owner.uid, gid: o.owner.gid };
    const entry = (header: Partial<tar.Header>, body?: Buffer) => new Promise<void>((resolve, reject) => {
      pack.entry(header as tar.Header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
    // small files are read whole, several ahead of the packer (a stream per file costs more than the read)
    const ahead = new Map<number, Promise<Buffer>>();
    const readAhead = (from: number) => {
      for (let k = from; k < Math.min(items.length, from + READ_AHEAD); k++) {
        const x = items[k]!;
        if (x.kind === 'file' && x.size <= SMALL_FILE && !ahead.has(k)) {
          const p = fsp.readFile(x.host);
          p.catch(() => undefined);
          ahead.set(k, p);
        }
      }
    };
    for (const [i, it] of items.entries()) {
      readAhead(i);
      const mode = (m: number) => o.chmod ?? m;
      switch (it.kind) {
        case 'dir':
          // named `dir/`, as Docker's layers (and a container's diff) name directories
          if (it.rootOwned) await entry({ uid: it.owner?.uid ?? 0, gid: it.owner?.gid ?? 0, name: `${it.name.replace(/\/+$/, '')}/`, type: 'directory', mode: it.mode, mtime: it.mtime });
          else if (it.name) await entry({ ...base, name: `${it.name.replace(/\/+$/, '')}/`, type: 'directory', mode: mode(it.mode), mtime: it.mtime });
          break;
        case 'symlink':
          await entry({ ...base, name: it.name, type: 'symlink', linkname: it.target, mode: 0o777, mtime: it.mtime });
          break;
        case 'data':
          await entry({ ...base, name: it.name, type: 'file', mode: mode(it.mode), mtime: it.mtime, size: it.data.length }, it.data);
          break;
        case 'file': {
          const small = ahead.get(i);
          if (small) {
            ahead.delete(i);
            const data = await small;
            // changed since it was planned: the header's size would not match
            if (data.length !== it.size) throw invalidArgument(`${it.name}: the file changed while it was copied`);
            await entry({ ...base, name: it.name, type: 'file', mode: mode(it.mode), mtime: it.mtime, size: it.size }, data);
            break;
          }
          const w = pack.entry({ ...base, name: it.name, type: 'file', mode: mode(it.mode), mtime: it.mtime, size: it.size } as tar.Header);
          await pipeline(createReadStream(it.host), w);
          break;
        }
        case 'archive': {
          const ex = tar.extract();
          const feed = pipeline(await maybeDecompress(createReadStream(it.host)), ex);
          feed.catch(() => undefined);
          for await (const e of ex) {
            const h = e.header;
            const rel = entryName(h.name);
            const name = it.name ? (rel ? `${it.name}/${rel}` : it.name) : rel;
            if (!name) { e.resume(); continue; }
            if (h.type === 'file' || h.type === 'contiguous-file') {
              await pipeline(e, pack.entry({ ...h, name, type: 'file' }));
            } else {
              if (h.type === 'directory' || h.type === 'symlink') await entry({ ...h, name, ...(h.type === 'symlink' ? {} : { size: 0 }) });
              else if (h.type === 'link') await entry({ ...h, name, linkname: path.posix.join(it.name, entryName(h.linkname ?? '')) });
              e.resume();
            }
          }
          await feed;
          break;
        }
      }
    }
    pack.finalize();
  };
  pack.pipe(out);
  // an entry that fails (an archive cut short) destroys the pack with its error: the reader gets it
  pack.on('error', (e: Error) => out.destroy(e));
  run().catch((e: unknown) => {
    pack.destroy(e as Error);
    out.destroy(e as Error);
  });
  return out;
}

/** Reads a whole stream (small: a remote ADD's body goes to a file instead). */
export async function toBuffer(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
