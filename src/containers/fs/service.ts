/**
 * ContainerFs: a container's file system over the API (docker cp, export, diff, commit).
 *
 *   stat / archive   HEAD|GET /containers/{id}/archive    the path's stat; a tar of it
 *   extract          PUT /containers/{id}/archive         a tar unpacked into a directory
 *   export           GET /containers/{id}/export          the root file system as a tar
 *   changes          GET /containers/{id}/changes         the overlay upper directory as changes
 *   commit           POST /commit                         the upper directory as a new image layer
 *
 * Every operation runs under the container's lock with its root file system mounted (a stopped
 * container's only for the call), through a Scope: paths resolve inside the container, and its volumes,
 * binds and network files show at their destinations (a running container's tmpfs mounts too, read
 * live through its mount namespace; a stopped container has none).
 *
 * Under userns-remap (`idMap`, the daemon's maps, for every container as in dockerd) archives carry
 * container ids and the disk host ids: extract shifts owners into the maps, archive, export and commit
 * shift them back (see owners.ts); stat and changes are unaffected.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { PassThrough, Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContainerConfig, ImageConfigBlob } from '../../api/types.js';
import { BerthError, conflict, errnoCode, invalidArgument, isKind, notFound } from '../../core/errors.js';
import type { EventBus } from '../../core/events.js';
import { newId } from '../../core/ids.js';
import { maybeDecompress } from '../../images/streams.js';
import type { ContainerRecord } from '../record.js';
import { resolveInRoot } from '../../volumes/copyup.js';
import { initNoise, isOpaque, isWhiteout, upperChanges, type FilesystemChange } from './changes.js';
import { childImageConfig, commitConfig } from './commit.js';
import { checkEntries, Extractor, readTar } from './extract.js';
import type { IdentityMapping } from '../../core/idmap.js';
import { archiveOwner, hostOwner, type Unmapped } from './owners.js';
import { coalesce, packInto, TreePacker, type Header, type PackOptions } from './pack.js';
import { archivePath, encodePathStat, goFileMode, goTime, lookupUser, mountHolding, type PathStat } from './paths.js';
import { Scope, type Entry, type ScopeMount } from './scope.js';
import { inContainerTerms, scrubHostPaths } from './errors.js';

export interface FsContainers {
  resolve(ref: string): ContainerRecord;
  /** runs fn under the container's lock with its rootfs mounted (see ContainerService.withRootfs) */
  withRootfs<T>(ref: string, fn: (rec: ContainerRecord, rootfs: string) => Promise<T>, o?: { mount?: boolean }): Promise<T>;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
}

/** What a commit needs of the image store. */
export interface CommitTarget {
  /** the config of an image (the committed container's) */
  imageConfig(id: string): ImageConfigBlob;
  /** InvalidArgument for a reference a commit could not tag */
  checkReference(repo: string, tag?: string): void;
  /** stores the layer (a tar file of digest diffID; none when empty) and the image, made from `parent` (its Parent); tags it; returns its id */
  create(layer: { diffID: string; file: string }, config: ImageConfigBlob, ref?: { repo: string; tag?: string }, parent?: string): Promise<string>;
}

export interface ContainerFsDeps {
  containers: FsContainers;
  upperDir(id: string): string;
  layerPath(diffID: string): string;
  images: CommitTarget;
  events: EventBus;
  /** where uploads and layers are spooled */
  tmpDir(): string;
  /** userns-remap: the daemon's id maps (none: ids are kept as they are) */
  idMap?: IdentityMapping;
}

export interface CommitOptions {
  container: string;
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause: boolean;
  changes: string[];
  config?: ContainerConfig;
}

const fileNotFound = (p: string, ref: string) => notFound(`Could not find the file ${p} in container ${ref}`);

function attrs(rec: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(rec.config.Labels ?? {}), image: rec.config.Image ?? '', name: rec.name.slice(1), ...extra };
}

/** The whiteout form of an overlay upper directory for an OCI layer (moby's overlayWhiteoutConverter). */
async function ociWhiteouts(e: Entry, h: Header): Promise<Header[]> {
  if (e.stats && isWhiteout(e.stats)) {
    const dir = path.posix.dirname(h.name);
    return [{ ...h, name: `${dir === '.' ? '' : `${dir}/`}.wh.${path.posix.basename(h.name)}`, type: 'file', mode: 0o600, size: 0, devmajor: undefined, devminor: undefined }];
  }
  if (h.type === 'directory' && (await isOpaque(e.host))) {
    return [h, { name: `${h.name}.wh..wh..opq`, type: 'file', mode: (h.mode ?? 0) & 0o777, uid: h.uid, gid: h.gid, mtime: h.mtime, size: 0 }];
  }
  return [h];
}

export class ContainerFs {
  constructor(private readonly d: ContainerFsDeps) {}

  /** The owners archive headers carry (container ids under userns-remap). */
  private owners(unmapped: Unmapped): Pick<PackOptions, 'owner'> {
    const m = this.d.idMap;
    return m ? { owner: (st) => archiveOwner(st, m, unmapped) } : {};
  }

  /** The container's view: its rootfs with its mounts; closed by `done`. */
  private async openScope(rec: ContainerRecord, rootfs: string): Promise<{ scope: Scope; mounts: ScopeMount[]; done: () => Promise<void> }> {
    const mounts: ScopeMount[] = [];
    const extra: Scope[] = [];
    for (const p of rec.mounts ?? []) {
      if (p.type === 'bind') mounts.push({ destination: p.destination, source: p.source, rw: p.rw });
      else if (p.type === 'volume' && p.source) mounts.push({ destination: p.destination, source: p.subpath ? await resolveInRoot(p.source, p.subpath) : p.source, rw: p.rw });
    }
    const tmpfs = (rec.mounts ?? []).filter((p) => p.type === 'tmpfs');
    if (tmpfs.length > 0 && rec.state.Status === 'running' && rec.state.Pid > 0) {
      const live = await this.liveRoot(rec.state.Pid, rootfs);
      if (live) {
        extra.push(live);
        for (const p of tmpfs) {
          const dir = await live.openPath(p.destination).catch(() => undefined);
          if (dir) mounts.push({ destination: p.destination, source: dir.host, rw: !/(^|,)ro(,|$)/.test(p.tmpfsData ?? '') });
        }
      }
    }
    for (const [dest, file] of [['/etc/hosts', rec.hostsPath], ['/etc/resolv.conf', rec.resolvConfPath], ['/etc/hostname', rec.hostnamePath]] as const) {
      if (!mounts.some((m) => m.destination === dest) && (await fsp.stat(file).then((s) => s.isFile(), () => false))) mounts.push({ destination: dest, source: file, rw: true });
    }
    const scope = await Scope.open(rootfs, mounts);
    return {
      scope, mounts,
      done: async () => {
        await scope.close();
        for (const s of extra) await s.close();
      },
    };
  }

  /** The root of a running container's mount namespace, if `pid` is still that container (same root as `rootfs`). */
  private async liveRoot(pid: number, rootfs: string): Promise<Scope | undefined> {
    const s = await Scope.open(`/proc/${pid}/root`).catch(() => undefined);
    if (!s) return undefined;
    const [a, b] = await Promise.all([s.rootDir.handle.stat(), fsp.stat(rootfs)]);
    if (a.dev === b.dev && a.ino === b.ino) return s;
    await s.close();
    return undefined;
  }

  /** Runs `fn` on the container's view; its errors are told in terms of the container path `p` (errors.ts). */
  private async withScope<T>(ref: string, p: string, fn: (rec: ContainerRecord, scope: Scope, mounts: ScopeMount[]) => Promise<T>): Promise<T> {
    return this.d.containers.withRootfs(ref, async (rec, rootfs) => {
      const { scope, mounts, done } = await this.openScope(rec, rootfs);
      try {
        return await fn(rec, scope, mounts);
      } catch (e) {
        throw inContainerTerms(e, p);
      } finally {
        await done();
      }
    });
  }

  /** Resolves an archive path as Docker does; NotFound with Docker's text when it is missing. */
  private async lookup(scope: Scope, ref: string, p: string): Promise<{ entry: Entry; stat: PathStat; release: () => Promise<void> }> {
    const ap = archivePath(p);
    const r = await scope.resolve(ap.abs, { follow: ap.follow }).catch((e: unknown) => {
      throw isKind(e, 'NotFound') ? fileNotFound(p, ref) : e;
    });
    const release = () => scope.release(r.parent);
    const st = r.entry.stats;
    if (!st) {
      await release();
      throw fileNotFound(p, ref);
    }
    if (ap.follow && !st.isDirectory()) {
      await release();
      throw invalidArgument(`lstat ${ap.abs}/: not a directory`);
    }
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      const t = await scope.resolve(ap.abs, { follow: true, partial: true }).catch(() => undefined);
      if (t) {
        linkTarget = t.entry.ctr;
        await scope.release(t.parent);
      }
    }
    const big = await fsp.lstat(r.entry.host, { bigint: true });
    const stat: PathStat = { name: ap.base, size: Number(big.size), mode: goFileMode(st.mode), mtime: goTime(big.mtimeNs), linkTarget };
    return { entry: r.entry, stat, release };
  }

  /** HEAD /containers/{id}/archive: the X-Docker-Container-Path-Stat value. */
  async stat(ref: string, p: string): Promise<string> {
    if (!p) throw invalidArgument('Path cannot be empty');
    return this.withScope(ref, p, async (_rec, scope) => {
      const { stat, release } = await this.lookup(scope, ref, p);
      await release();
      return encodePathStat(stat);
    });
  }

  /**
   * GET /containers/{id}/archive: `open` gets the stat header once the path is found and returns the
   * stream the tar goes to (the response); a directory's entries are named from the path's base name.
   */
  async archive(ref: string, p: string, open: (statHeader: string) => Writable, signal?: AbortSignal): Promise<void> {
    if (!p) throw invalidArgument('Path cannot be empty');
    await this.withScope(ref, p, async (rec, scope) => {
      const { entry, stat, release } = await this.lookup(scope, ref, p);
      try {
        const out = open(encodePathStat(stat));
        this.d.events.publish('container', 'archive-path', rec.id, attrs(rec));
        const name = stat.name === '/' ? '/' : stat.name;
        await packInto((pack) => new TreePacker(scope, pack, { signal, ...this.owners('overflow') }).entry(entry, name), out);
      } finally {
        await release();
      }
    });
  }

  /** PUT /containers/{id}/archive: extracts a (possibly gzip'ed) tar into the directory `p`. */
  async extract(ref: string, p: string, body: Readable, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    if (!p) throw invalidArgument('Path cannot be empty');
    this.d.containers.resolve(ref);
    const spool = path.join(this.d.tmpDir(), `archive-${newId().slice(0, 16)}.tar`);
    try {
      await pipeline(await maybeDecompress(body), createWriteStream(spool, { mode: 0o600 })).catch((e: unknown) => {
        // a broken body (truncated gzip, a client gone) is the client's; the spool's path is nobody's business
        if (e instanceof BerthError || ['ENOSPC', 'EDQUOT', 'EIO'].includes(errnoCode(e) ?? '')) throw inContainerTerms(e, p);
        throw invalidArgument(`invalid archive: ${scrubHostPaths((e as Error).message, p)}`);
      });
      await this.withScope(ref, p, async (rec, scope, mounts) => {
        const ap = archivePath(p);
        const dest = await scope.openPath(ap.abs).catch((e: unknown) => {
          if (isKind(e, 'NotFound')) throw fileNotFound(p, ref);
          if (e instanceof BerthError && /not a directory/.test(e.message)) throw invalidArgument('extraction point is not a directory');
          throw e;
        });
        const m = mountHolding(mounts, dest.ctr);
        if (m && !m.rw) throw invalidArgument('mounted volume is marked read-only');
        if (!m && rec.hostConfig.ReadonlyRootfs) throw invalidArgument('container rootfs is marked read-only');
        let chown: { uid: number; gid: number } | undefined;
        if (opts.copyUIDGID && rec.config.User) {
          chown = lookupUser(rec.config.User, (await scope.readFile('/etc/passwd')) ?? '', (await scope.readFile('/etc/group')) ?? '');
          hostOwner(chown, this.d.idMap); // Docker's error for a user outside the maps, before anything is written
        }
        // the headers' owners matter (and must map) only when copyUIDGID does not replace them
        await checkEntries(tarEntries(spool), dest.ctr, chown ? undefined : this.d.idMap);
        await new Extractor(scope, dest, { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, chown, idMap: this.d.idMap }).run(tarEntries(spool));
        this.d.events.publish('container', 'extract-to-dir', rec.id, attrs(rec));
      });
    } finally {
      await fsp.rm(spool, { force: true });
    }
  }

  /** GET /containers/{id}/export: the root file system (without mounts) as a tar. */
  async export(ref: string, open: () => Writable, signal?: AbortSignal): Promise<void> {
    await this.d.containers.withRootfs(ref, async (rec, rootfs) => {
      const scope = await Scope.open(rootfs);
      try {
        this.d.events.publish('container', 'export', rec.id, attrs(rec));
        await packInto(async (pack) => new TreePacker(scope, pack, { signal, ...this.owners('error') }).entry(await scope.rootEntry(), ''), open());
      } finally {
        await scope.close();
      }
    });
  }

  /** GET /containers/{id}/changes. */
  async changes(ref: string): Promise<FilesystemChange[]> {
    return this.d.containers.withRootfs(ref, async (rec) =>
      upperChanges(this.d.upperDir(rec.id), [...rec.layers].reverse().map((l) => this.d.layerPath(l))));
  }

  /** POST /commit: a new image from the container's changes; returns its id. */
  async commit(o: CommitOptions): Promise<string> {
    const rec0 = this.d.containers.resolve(o.container);
    if (rec0.state.Status === 'dead') throw conflict(`You cannot commit container ${rec0.id} which is Dead`);
    if (rec0.state.Status === 'removing') throw conflict(`You cannot commit container ${rec0.id} which is being removed`);
    if (o.repo) this.d.images.checkReference(o.repo, o.tag);
    const config = commitConfig(rec0.config, o.config, o.changes);
    const parent = this.d.images.imageConfig(rec0.image);
    // pause only applies to a running container: one that exits meanwhile (a short command committed
    // right after its start) is committed as it is, as dockerd does
    const paused = o.pause && rec0.state.Status === 'running' && await this.d.containers.pause(rec0.id).then(() => true, async (e: unknown) => {
      // the runtime may see the exit before the daemon has recorded it: give the exit a moment to land
      for (let i = 0; i < 40; i++) {
        if (this.d.containers.resolve(rec0.id).state.Status !== 'running') return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw e;
    });
    const file = path.join(this.d.tmpDir(), `layer-${newId().slice(0, 16)}.tar`);
    try {
      let rec = rec0;
      let diffID: string;
      try {
        ({ rec, diffID } = await this.d.containers.withRootfs(rec0.id, async (r) => ({ rec: r, diffID: await this.layerTar(r.id, file) })));
      } finally {
        if (paused) await this.d.containers.unpause(rec0.id).catch(() => undefined);
      }
      const created = new Date().toISOString();
      const image = childImageConfig(parent, {
        config, containerConfig: rec.config, containerId: rec.id, author: o.author, comment: o.comment, diffID, created,
      });
      // as Docker: the committed image's Parent is the container's image
      const id = await this.d.images.create({ diffID, file }, image, o.repo ? { repo: o.repo, tag: o.tag } : undefined, rec.image);
      const imageRef = o.repo ? `${o.repo}${o.tag ? `:${o.tag}` : ''}` : '';
      this.d.events.publish('container', 'commit', rec.id, attrs(rec, { comment: o.comment ?? '', imageID: id, imageRef }));
      return id;
    } finally {
      await fsp.rm(file, { force: true });
    }
  }

  /**
   * A container's changes as an OCI layer tar handed to `consume` as it is packed (image builds: the
   * image store stores and unpacks it in the same pass, no file in between).
   */
  async diffLayerTo<T>(ref: string, consume: (tar: Readable) => Promise<T>): Promise<T> {
    // the upper directory is all it reads: a stopped step container is not mounted again for it
    return this.d.containers.withRootfs(ref, async (r) => {
      const upper = this.d.upperDir(r.id);
      await fsp.mkdir(upper, { recursive: true });
      const noise = await initNoise(upper);
      const scope = await Scope.open(upper);
      const out = new PassThrough();
      try {
        const opts = { skip: (e: Entry) => noise.has(e.ctr), rewrite: ociWhiteouts, local: true, ...this.owners('error') };
        const consumed = consume(out);
        consumed.catch((e: unknown) => out.destroy(e as Error));
        const [, res] = await Promise.all([packInto(async (pack) => new TreePacker(scope, pack, opts).entry(await scope.rootEntry(), ''), coalesce(), out), consumed]);
        return res;
      } finally {
        await scope.close();
      }
    }, { mount: false });
  }

  /** Writes the upper directory as an OCI layer tar to `file`; returns its digest. */
  private async layerTar(id: string, file: string): Promise<string> {
    const upper = this.d.upperDir(id);
    await fsp.mkdir(upper, { recursive: true });
    const noise = await initNoise(upper);
    const scope = await Scope.open(upper);
    const hash = createHash('sha256');
    const hasher = new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); cb(null, chunk); } });
    try {
      const opts = { skip: (e: Entry) => noise.has(e.ctr), rewrite: ociWhiteouts, local: true, ...this.owners('error') };
      await packInto(async (pack) => new TreePacker(scope, pack, opts).entry(await scope.rootEntry(), ''), coalesce(), hasher, createWriteStream(file, { mode: 0o600 }));
    } finally {
      await scope.close();
    }
    return `sha256:${hash.digest('hex')}`;
  }
}

/** The entries of a tar file. */
const tarEntries = (file: string) => readTar(createReadStream(file));
