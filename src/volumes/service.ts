/**
 * VolumeService: Docker's volumes on the `local` driver. It owns the volume records (VolumeStore) and
 * the mount state of volumes with driver options; containers reach it through four calls made by the
 * container lifecycle (see src/volumes/index.ts for the wiring):
 *
 *   attach(plans)              at create: named volumes created when missing, anonymous ones made
 *   setUp(plans, id, rootfs)   at start: volumes mounted (refcounted), copy-up, bind sources created;
 *                              the host path of every mount, by destination
 *   tearDown(plans, id)        at stop (or a failed start): the mounts of setUp released
 *   removeAnonymous(plans, id) at `rm -v` / AutoRemove: the container's anonymous volumes removed
 *
 * A volume is in use while a container references it (`usedBy`, any state): it cannot be removed or
 * pruned. A volume with type/device options is mounted on its _data directory by the first mount()
 * and unmounted when its last user unmounts it.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { conflict, errnoCode, internal, invalidArgument, isKind, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { KeyedLock } from '../host/lock.js';
import type { Volume, VolumeCreateRequest, VolumeListResponse, VolumePruneResponse } from '../api/volumes.js';
import { copyUp, dirSize, resolveInRoot } from './copyup.js';
import { filterVolumes, pruneFilters, pruneMatches, type Filters } from './filters.js';
import type { Mounter } from './mounter.js';
import { tmpfsDestinations, type MountPlan } from './mounts.js';
import { ANONYMOUS_LABEL, LOCAL_DRIVER, nameError, needsMount, optionsError, volumeView, type VolumeRecord } from './record.js';
import type { VolumeStore } from './store.js';
import { byCodePoint } from '../core/compare.js';

export interface VolumeEvents {
  publish(type: 'volume', action: string, id: string, attributes?: Record<string, string>): unknown;
}

export interface VolumeServiceDeps {
  store: VolumeStore;
  mounter: Mounter;
  /** ids of the containers (in any state) whose mounts reference the volume */
  usedBy(name: string): string[];
  events?: VolumeEvents;
  log?(msg: string): void;
  now?(): Date;
  /** userns-remap: bind sources created for a container belong to its remapped root (Docker's MkdirAllAndChownNew) */
  rootOwner?: { uid: number; gid: number };
}

interface MountState {
  /** container id -> number of its mounts of the volume */
  users: Map<string, number>;
  /** a volume with options: its file system is mounted on _data */
  mounted: boolean;
}

const noSuchVolume = (name: string) => notFound(`get ${name}: no such volume`);

export class VolumeService {
  private readonly lock = new KeyedLock();
  private readonly state = new Map<string, MountState>();
  private pruning = false;

  constructor(private readonly d: VolumeServiceDeps) {}

  /** Picks up volumes still mounted from before a daemon restart (restoreIfMounted). */
  async init(): Promise<void> {
    for (const rec of this.d.store.all()) {
      if (!needsMount(rec)) continue;
      const data = this.d.store.dataPath(rec.name);
      if ((await this.d.mounter.mountsUnder(data)).includes(data)) this.stateOf(rec.name).mounted = true;
    }
  }

  private stateOf(name: string): MountState {
    let s = this.state.get(name);
    if (!s) this.state.set(name, (s = { users: new Map(), mounted: false }));
    return s;
  }

  private publish(action: string, id: string, attrs: Record<string, string>): void {
    this.d.events?.publish('volume', action, id, attrs);
  }

  private view(rec: VolumeRecord): Volume {
    return volumeView(rec, this.d.store.dataPath(rec.name));
  }

  private inUse(name: string): boolean {
    return this.d.usedBy(name).length > 0 || (this.state.get(name)?.users.size ?? 0) > 0;
  }

  /** The record of a volume, if any (for the container lifecycle). */
  get(name: string): VolumeRecord | undefined {
    return this.d.store.get(name);
  }

  /** GET /volumes */
  list(filters: Filters = {}): VolumeListResponse {
    const recs = filterVolumes(this.d.store.all(), filters, { inUse: (n) => this.inUse(n) });
    recs.sort((a, b) => byCodePoint(a.createdAt, b.createdAt) || byCodePoint(a.name, b.name));
    return { Volumes: recs.map((r) => this.view(r)), Warnings: null };
  }

  /** GET /volumes/{name}: 404 `get x: no such volume`. */
  inspect(name: string): Volume {
    const rec = this.d.store.get(name);
    if (!rec) throw noSuchVolume(name);
    return this.view(rec);
  }

  /**
   * POST /volumes/create. No name: an anonymous volume (64 hex digits, labelled com.docker.volume.anonymous).
   * An existing name is answered with the existing volume, as it is.
   */
  async create(req: VolumeCreateRequest): Promise<Volume> {
    const anonymous = !req.Name;
    const name = req.Name || newId();
    const driver = req.Driver || LOCAL_DRIVER;
    return this.lock.run(name, async () => {
      if (driver !== LOCAL_DRIVER) throw notFound(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
      const existing = this.d.store.get(name);
      if (existing) return this.view(existing);
      const bad = nameError(name) ?? optionsError(req.DriverOpts);
      if (bad) throw invalidArgument(`create ${name}: ${bad}`);
      let labels = req.Labels ? { ...req.Labels } : null;
      if (anonymous) labels = { ...labels, [ANONYMOUS_LABEL]: '' };
      const rec: VolumeRecord = {
        name, driver, createdAt: (this.d.now?.() ?? new Date()).toISOString(), labels, options: req.DriverOpts ? { ...req.DriverOpts } : null,
      };
      await this.d.store.create(rec);
      this.publish('create', name, { driver });
      return this.view(rec);
    });
  }

  /**
   * DELETE /volumes/{name}: 404 `get x: no such volume` (nothing with force), 409 `remove x: volume is in
   * use - [ids]` while containers reference it (force or not).
   */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.lock.run(name, () => this.removeLocked(name, !!opts.force, []));
  }

  private async removeLocked(name: string, force: boolean, ignoreUsers: readonly string[]): Promise<void> {
    const rec = this.d.store.get(name);
    if (!rec) {
      if (force) return;
      throw noSuchVolume(name);
    }
    const refs = this.d.usedBy(name).filter((id) => !ignoreUsers.includes(id));
    if (refs.length > 0) throw conflict(`remove ${name}: volume is in use - [${refs.join(', ')}]`);
    const st = this.state.get(name);
    if (st && [...st.users.keys()].some((id) => !ignoreUsers.includes(id))) throw internal(`remove ${name}: volume has active mounts`);
    if (st?.mounted) {
      await this.d.mounter.unmount(this.d.store.dataPath(name));
      st.mounted = false;
    }
    await this.d.store.remove(name);
    this.state.delete(name);
    this.publish('destroy', name, { driver: rec.driver });
  }

  /**
   * POST /volumes/prune: unused local volumes without driver options that pass the label filters;
   * only anonymous ones unless all=true (the route adds all=true for API < 1.42).
   */
  async prune(filters: Filters = {}): Promise<VolumePruneResponse> {
    if (this.pruning) throw conflict('a prune operation is already running');
    this.pruning = true;
    try {
      const pf = pruneFilters(filters);
      const report: VolumePruneResponse = { VolumesDeleted: [], SpaceReclaimed: 0 };
      const candidates = this.d.store.all().filter((r) => r.driver === LOCAL_DRIVER && !needsMount(r) && Object.keys(r.options ?? {}).length === 0 && pruneMatches(r, pf));
      for (const rec of candidates) {
        await this.lock.run(rec.name, async () => {
          if (!this.d.store.get(rec.name) || this.inUse(rec.name)) return;
          const size = await dirSize(this.d.store.dataPath(rec.name)).catch(() => 0);
          try {
            await this.removeLocked(rec.name, false, []);
          } catch (e) {
            this.d.log?.(`volumes: prune ${rec.name}: ${(e as Error).message}`);
            return;
          }
          report.VolumesDeleted.push(rec.name);
          report.SpaceReclaimed += size;
        });
      }
      this.publish('prune', '', { reclaimed: String(report.SpaceReclaimed) });
      return report;
    } finally {
      this.pruning = false;
    }
  }

  /** Volumes with their UsageData, for GET /system/df (volumes with driver options are left out, as Docker does). */
  async df(): Promise<Volume[]> {
    const out: Volume[] = [];
    for (const rec of this.d.store.all()) {
      if (Object.keys(rec.options ?? {}).length > 0) continue;
      const size = await dirSize(this.d.store.dataPath(rec.name)).catch(() => -1);
      out.push({ ...this.view(rec), UsageData: { Size: size, RefCount: this.d.usedBy(rec.name).length } });
    }
    return out;
  }

  /**
   * Makes a volume available to a container and returns its host path (<root>/<name>/_data). A volume
   * with options is mounted by its first user; each call must be paired with unmount().
   */
  async mount(name: string, containerId: string, attrs: Record<string, string> = {}): Promise<string> {
    return this.lock.run(name, async () => {
      const rec = this.d.store.get(name);
      if (!rec) throw noSuchVolume(name);
      const data = this.d.store.dataPath(name);
      const st = this.stateOf(name);
      if (needsMount(rec) && !st.mounted) {
        const o = rec.options ?? {};
        if (!o.device) throw internal(`error while mounting volume '${data}': missing device in volume options`);
        try {
          await this.d.mounter.mount(o.device, data, o.type ?? '', o.o ?? '');
        } catch (e) {
          throw internal(`error while mounting volume '${data}': failed to mount local volume: ${(e as Error).message}`, e);
        }
        st.mounted = true;
      }
      st.users.set(containerId, (st.users.get(containerId) ?? 0) + 1);
      this.publish('mount', name, { container: containerId, driver: rec.driver, ...attrs });
      return data;
    });
  }

  /** Releases one mount() of a container; the last user's release unmounts a volume with options. */
  async unmount(name: string, containerId: string): Promise<void> {
    await this.lock.run(name, async () => {
      const st = this.state.get(name);
      const n = st?.users.get(containerId) ?? 0;
      if (!st || n === 0) return;
      if (n > 1) st.users.set(containerId, n - 1);
      else st.users.delete(containerId);
      if (st.users.size === 0 && st.mounted) {
        const data = this.d.store.dataPath(name);
        try {
          await this.d.mounter.unmount(data);
        } catch (e) {
          if ((await this.d.mounter.mountsUnder(data)).includes(data)) throw internal(`error unmounting volume ${name}: ${(e as Error).message}`, e);
        }
        st.mounted = false;
      }
      this.publish('unmount', name, { container: containerId, driver: this.d.store.get(name)?.driver ?? LOCAL_DRIVER });
    });
  }

  /** After a daemon restart: a container still running holds one mount of the volume (LiveRestoreVolume). */
  liveRestore(name: string, containerId: string): void {
    if (!this.d.store.get(name)) return;
    const st = this.stateOf(name);
    st.users.set(containerId, (st.users.get(containerId) ?? 0) + 1);
  }

  /** After liveRestore() of the running containers: unmounts volumes left mounted with no user. */
  async releaseUnused(): Promise<void> {
    for (const [name, st] of this.state) {
      if (!st.mounted || st.users.size > 0) continue;
      await this.lock.run(name, async () => {
        if (!st.mounted || st.users.size > 0) return;
        await this.d.mounter.unmount(this.d.store.dataPath(name)).then(
          () => (st.mounted = false),
          (e: unknown) => this.d.log?.(`volumes: unmounting ${name}: ${(e as Error).message}`),
        );
      });
    }
  }

  // --- the container lifecycle ----------------------------------------------------------------

  /**
   * At container create: every volume plan gets its volume (created when missing: anonymous ones, or
   * named with the plan's labels and driver options), its name, driver and source, and Docker's "z"
   * mode for local volumes of -v/--mount. Volumes created here are removed again if a later one fails.
   */
  async attach(plans: readonly MountPlan[]): Promise<MountPlan[]> {
    const out: MountPlan[] = [];
    const created: string[] = [];
    try {
      for (const p of plans) {
        if (p.type !== 'volume') {
          out.push(p);
          continue;
        }
        const existed = p.name !== '' && this.d.store.get(p.name) !== undefined;
        const v = await this.create({ Name: p.name, Driver: p.driver || undefined, Labels: p.volumeLabels, DriverOpts: p.driverOpts });
        if (!existed) created.push(v.Name);
        const q: MountPlan = { ...p, name: v.Name, driver: v.Driver, source: v.Mountpoint, anonymous: p.anonymous ?? p.name === '' };
        if ((p.origin === 'bind' || p.origin === 'mount') && q.driver === LOCAL_DRIVER && q.mode === '') q.mode = 'z';
        out.push(q);
      }
    } catch (e) {
      for (const name of created) await this.remove(name).catch(() => undefined);
      throw e;
    }
    return out;
  }

  /**
   * At container start: mounts every volume (copying the image's content at the destination into an
   * empty volume unless nocopy; `rootfs` is the container's root file system), resolves subpaths and
   * creates missing bind sources that may be created. Returns the host path of each mount by
   * destination (for specMounts). On failure, what was mounted is released.
   */
  async setUp(plans: readonly MountPlan[], containerId: string, rootfs?: string): Promise<Map<string, string>> {
    const paths = new Map<string, string>();
    const hidden = tmpfsDestinations(plans);
    const mounted: string[] = [];
    try {
      for (const p of plans) {
        if (hidden.has(p.destination)) continue;
        if (p.type === 'bind') {
          if (p.createSource) await ensureDir(p.source, this.d.rootOwner);
          paths.set(p.destination, p.source);
        }
        if (p.type !== 'volume') continue;
        if (!p.name) throw invalidArgument(`no volume attached for the mount on ${p.destination}`);
        const data = await this.mount(p.name, containerId, { destination: p.destination, propagation: p.propagation, 'read/write': String(p.rw) });
        mounted.push(p.name);
        let host = data;
        if (p.subpath) {
          host = await resolveInRoot(data, p.subpath);
          await fsp.stat(host).catch((e: unknown) => {
            throw invalidArgument(`cannot access path ${host}: ${errnoCode(e) === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
          });
        } else if (p.copyData && rootfs) {
          await copyUp(await resolveInRoot(rootfs, p.destination), data);
        }
        paths.set(p.destination, host);
      }
    } catch (e) {
      for (const name of mounted.reverse()) await this.unmount(name, containerId).catch(() => undefined);
      throw e;
    }
    return paths;
  }

  /** At container stop: releases the mounts of setUp; goes on past failures and reports them all. */
  async tearDown(plans: readonly MountPlan[], containerId: string): Promise<void> {
    const hidden = tmpfsDestinations(plans);
    const errors: string[] = [];
    for (const p of plans) {
      if (p.type !== 'volume' || !p.name || hidden.has(p.destination)) continue;
      await this.unmount(p.name, containerId).catch((e: unknown) => errors.push((e as Error).message));
    }
    if (errors.length > 0) throw internal(errors.join('; '));
  }

  /**
   * At `rm -v` (and AutoRemove): removes the container's anonymous volumes that no other container
   * uses; named volumes stay. Returns the names removed.
   */
  async removeAnonymous(plans: readonly MountPlan[], containerId: string): Promise<string[]> {
    const removed: string[] = [];
    for (const p of plans) {
      if (p.type !== 'volume' || !p.anonymous || !p.name) continue;
      try {
        await this.lock.run(p.name, async () => {
          if (!this.d.store.get(p.name)) return;
          await this.removeLocked(p.name, true, [containerId]);
          removed.push(p.name);
        });
      } catch (e) {
        // in use by another container: not an error, it stays
        if (!isKind(e, 'Conflict')) this.d.log?.(`volumes: removing ${p.name}: ${(e as Error).message}`);
      }
    }
    return removed;
  }
}

async function ensureDir(dir: string, owner?: { uid: number; gid: number }): Promise<void> {
  const first = await fsp.mkdir(dir, { recursive: true, mode: 0o755 }).catch((e: unknown) => {
    if (errnoCode(e) !== 'EEXIST' && errnoCode(e) !== 'ENOTDIR') throw internal(`error while creating mount source path '${dir}': ${(e as Error).message}`, e);
    return undefined;
  });
  // only the directories made here change owner, from the first one created down to dir
  if (owner && first) for (let p = dir; p.length >= first.length; p = path.dirname(p)) await fsp.chown(p, owner.uid, owner.gid);
}
