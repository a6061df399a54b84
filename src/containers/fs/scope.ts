/**
 * A container's file system as the archive API sees it: its root file system with its mounts (volumes,
 * binds, the network files) laid over it, every path resolved *inside* it.
 *
 * Resolution walks one component at a time from directory file descriptors, as openat(2) would: a
 * component is looked up through `/proc/<pid>/fd/<dirfd>/<name>`, so the kernel follows nothing but
 * that one name, which is lstat'ed and opened with O_NOFOLLOW. Symlinks are read and their targets
 * resolved by this code, with an absolute target starting again at the container's root and `..`
 * never climbing above it (moby's FollowSymlinkInScope, securejoin). Directories stay open while
 * they are in use, so swapping a path component for a symlink after it was resolved changes nothing:
 * no read or write ever leaves the root or a mount's source.
 *
 * A mount destination is found by the resolved container path: there the walk continues in the
 * mount's source directory (or the source file of a file bind).
 */
import { constants as C, lstatSync, promises as fsp, statSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, errnoCode, notFound } from '../../core/errors.js';
import { pathComponents } from './paths.js';

const MAX_LINKS = 255;

export interface ScopeMount {
  /** clean absolute path in the container */
  destination: string;
  /** the host path the destination shows (trusted: set up by the daemon, not by the container) */
  source: string;
  rw: boolean;
}

/** An open directory of the container. */
export class Dir {
  constructor(readonly handle: FileHandle, readonly ctr: string) {}
  /** a host path naming this very directory (usable by child processes too) */
  get host(): string {
    return `/proc/${process.pid}/fd/${this.handle.fd}`;
  }
  close(): Promise<void> {
    return this.handle.close().catch(() => undefined);
  }
}

/** A name in the container: the child `name` of `parent`, or a mount's source. */
export interface Entry {
  ctr: string;
  name: string;
  /** a host path whose last component is this entry, not followed (all earlier ones are descriptors or trusted) */
  host: string;
  /** lstat of the entry; undefined when it does not exist */
  stats?: Stats;
  /** set when the entry is a mount's destination (host is then the mount's source) */
  mount?: ScopeMount;
}

export interface Resolved {
  /** the directory holding the entry (for the root: the root itself) */
  parent: Dir;
  entry: Entry;
}

export class Scope {
  private readonly open = new Set<Dir>();
  private readonly mounts = new Map<string, ScopeMount>();

  private constructor(readonly rootDir: Dir, mounts: readonly ScopeMount[]) {
    for (const m of mounts) this.mounts.set(m.destination, m);
  }

  /** Opens the container root `root` (a host directory) with `mounts` laid over it. */
  static async open(root: string, mounts: readonly ScopeMount[] = []): Promise<Scope> {
    const h = await fsp.open(root, C.O_RDONLY | C.O_DIRECTORY);
    const s = new Scope(new Dir(h, '/'), mounts.filter((m) => m.destination !== '/'));
    s.open.add(s.rootDir);
    return s;
  }

  async close(): Promise<void> {
    for (const d of this.open) await d.close();
    this.open.clear();
  }

  /** Closes a directory this scope opened (the root stays open until close()). */
  async release(d: Dir): Promise<void> {
    if (d === this.rootDir || !this.open.delete(d)) return;
    await d.close();
  }

  /** Names of the mounts whose destination is a direct child of `ctr` (shown even without a mount point). */
  mountNamesIn(ctr: string): string[] {
    const prefix = ctr === '/' ? '/' : `${ctr}/`;
    return [...this.mounts.keys()].filter((d) => d.startsWith(prefix) && !d.slice(prefix.length).includes('/')).map((d) => d.slice(prefix.length));
  }

  /** The child `name` of `dir`, looked up without following it. */
  async child(dir: Dir, name: string): Promise<Entry> {
    const ctr = dir.ctr === '/' ? `/${name}` : `${dir.ctr}/${name}`;
    const mount = this.mounts.get(ctr);
    const host = mount ? mount.source : `${dir.host}/${name}`;
    let stats: Stats | undefined;
    try {
      // a mount's source is trusted and followed, as mount(2) does
      stats = mount ? await fsp.stat(host) : await fsp.lstat(host);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    return { ctr, name, host, stats, ...(mount ? { mount } : {}) };
  }

  /**
   * child(), with synchronous calls: a walk over thousands of small entries (a layer) costs a thread
   * pool round trip per lstat otherwise, far more than the call itself. Only for a tree on the
   * daemon's own disk (see PackOptions.local).
   */
  childSync(dir: Dir, name: string): Entry {
    const ctr = dir.ctr === '/' ? `/${name}` : `${dir.ctr}/${name}`;
    const mount = this.mounts.get(ctr);
    const host = mount ? mount.source : `${dir.host}/${name}`;
    const stats = mount ? statSync(host, { throwIfNoEntry: false }) : lstatSync(host, { throwIfNoEntry: false });
    return { ctr, name, host, stats, ...(mount ? { mount } : {}) };
  }

  /** The root directory as an entry. */
  async rootEntry(): Promise<Entry> {
    return { ctr: '/', name: '/', host: this.rootDir.host, stats: await fsp.stat(this.rootDir.host) };
  }

  /** Opens a directory entry (refusing a symlink put in its place meanwhile: ELOOP/ENOTDIR). */
  async openDir(e: Entry): Promise<Dir> {
    if (e.host === this.rootDir.host) return this.rootDir;
    const h = await fsp.open(e.host, C.O_RDONLY | C.O_DIRECTORY | (e.mount ? 0 : C.O_NOFOLLOW));
    const d = new Dir(h, e.ctr);
    this.open.add(d);
    return d;
  }

  /**
   * Resolves an absolute container path. Every component but the last is followed (symlinks resolved
   * in scope); the last is followed only with `follow`. With `create`, missing directories on the way
   * are made (mode 0755, owned by `owner`, by default by the daemon's user: root) and so is the last
   * component when followed. NotFound when a
   * directory on the way is missing (with `partial`: an entry without stats whose container path
   * keeps the rest as given, and an empty host path); InvalidArgument when a non-directory is in the way.
   */
  async resolve(p: string, opts: { follow?: boolean; create?: boolean; owner?: { uid: number; gid: number }; partial?: boolean } = {}): Promise<Resolved> {
    const stack: Dir[] = [this.rootDir];
    let parts = pathComponents(p);
    let links = 0;
    const cleanup = async (keep?: Dir) => {
      for (const d of stack) if (d !== keep) await this.release(d);
    };
    try {
      while (parts.length > 0) {
        const c = parts.shift()!;
        if (c === '..') {
          if (stack.length > 1) await this.release(stack.pop()!);
          continue;
        }
        const top = stack[stack.length - 1]!;
        const last = parts.length === 0;
        const e = await this.child(top, c);
        if (last && !opts.follow) {
          await cleanup(top);
          return { parent: top, entry: e };
        }
        if (!e.stats) {
          if (!opts.create || e.mount) {
            if (last) {
              await cleanup(top);
              return { parent: top, entry: e };
            }
            if (opts.partial) {
              // as FollowSymlinkInScope: what cannot be resolved is kept as given
              await cleanup(top);
              const ctr = path.posix.join(e.ctr, ...parts);
              return { parent: top, entry: { ctr, name: path.posix.basename(ctr), host: '' } };
            }
            throw notFound(`no such file or directory: ${e.ctr}`);
          }
          const made = await fsp.mkdir(e.host, { mode: 0o755 }).then(() => true, (err: unknown) => {
            if (errnoCode(err) !== 'EEXIST') throw err;
            return false;
          });
          if (made && opts.owner) await fsp.lchown(e.host, opts.owner.uid, opts.owner.gid);
          parts.unshift(c); // look again: whatever is there now
          continue;
        }
        if (e.stats.isSymbolicLink()) {
          if (++links > MAX_LINKS) throw new BerthError('InvalidArgument', `too many levels of symbolic links: ${p}`);
          const target = await fsp.readlink(e.host);
          if (target.startsWith('/')) {
            for (const d of stack.splice(1)) await this.release(d);
          }
          parts = [...pathComponents(target), ...parts];
          continue;
        }
        if (e.stats.isDirectory()) {
          if (last) {
            await cleanup(top);
            return { parent: top, entry: e };
          }
          try {
            stack.push(await this.openDir(e));
          } catch (err) {
            if (errnoCode(err) !== 'ELOOP' && errnoCode(err) !== 'ENOTDIR') throw err;
            parts.unshift(c); // replaced since the lstat: resolve it again
          }
          continue;
        }
        if (last) {
          await cleanup(top);
          return { parent: top, entry: e };
        }
        throw new BerthError('InvalidArgument', `not a directory: ${e.ctr}`);
      }
      // the path named a directory already open (the root, or the last component was `..`)
      const top = stack[stack.length - 1]!;
      await cleanup(top);
      const entry: Entry = top === this.rootDir
        ? await this.rootEntry()
        : { ctr: top.ctr, name: path.posix.basename(top.ctr), host: top.host, stats: await top.handle.stat() };
      return { parent: top, entry };
    } catch (e) {
      await cleanup();
      throw e;
    }
  }

  /** Resolves a path that must be a directory (following it) and opens it. */
  async openPath(p: string, opts: { create?: boolean; owner?: { uid: number; gid: number } } = {}): Promise<Dir> {
    const r = await this.resolve(p, { follow: true, create: opts.create, owner: opts.owner });
    const { entry } = r;
    if (entry.host === r.parent.host) return r.parent;
    try {
      if (!entry.stats) throw notFound(`no such file or directory: ${entry.ctr}`);
      if (!entry.stats.isDirectory()) throw new BerthError('InvalidArgument', `not a directory: ${entry.ctr}`);
      // open before the parent is closed: entry.host names the child through the parent's descriptor
      return await this.openDir(entry);
    } finally {
      await this.release(r.parent);
    }
  }

  /** Reads a whole regular file of the container (missing: undefined). */
  async readFile(p: string): Promise<string | undefined> {
    const r = await this.resolve(p, { follow: true }).catch(() => undefined);
    if (!r) return undefined;
    try {
      if (!r.entry.stats?.isFile()) return undefined;
      const h = await fsp.open(r.entry.host, C.O_RDONLY | C.O_NOFOLLOW);
      try {
        return await h.readFile('utf8');
      } finally {
        await h.close();
      }
    } finally {
      await this.release(r.parent);
    }
  }
}
