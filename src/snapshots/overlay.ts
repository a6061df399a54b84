import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { conflict, errnoCode, internal, invalidArgument, notFound } from '../core/errors.js';
import { KeyedLock, mount, run, unmount } from '../host/index.js';
import { parseMountInfo } from '../host/mountinfo.js';
import type { Snapshotter } from './snapshotter.js';
import { rootPair, type IdentityMapping } from '../core/idmap.js';

export interface OverlayOptions {
  /** userns-remap: layers are unpacked with owners shifted into these maps, upper dirs belong to the remapped root */
  idMap?: IdentityMapping;
}

const DIFF_ID_RE = /^sha256:[a-f0-9]{64}$/;
const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Hex characters of the diffID naming a layer directory: short keeps overlay's mount data under a page. */
const SHORT_LEN = 16;
/** Overlay's mount data is limited to one page. */
const MAX_MOUNT_DATA = 4000;

interface LayerMeta {
  diffID: string;
  size: number;
}

function checkDiffID(diffID: string): string {
  if (!DIFF_ID_RE.test(diffID)) throw invalidArgument(`invalid layer diffID: ${JSON.stringify(diffID)}`);
  return diffID.slice(7, 7 + SHORT_LEN);
}

function checkKey(key: string): void {
  if (!KEY_RE.test(key)) throw invalidArgument(`invalid snapshot key: ${JSON.stringify(key)}`);
}

/**
 * Overlayfs snapshotter. Layout under `<dataRoot>/overlay`:
 *   layers/<16 hex of diffID>/diff         unpacked layer (overlay whiteouts and opaque xattrs)
 *   layers/<16 hex of diffID>/layer.json   {diffID, size}: the full id, checked on every lookup
 *   containers/<key>/{upper,work,merged}   active snapshot; layers.json lists its diffIDs bottom to top
 *   empty/                                 lower dir for images without layers
 *   tmp/                                   unpacks and removals in progress, swept on open
 * Mounts run with cwd=layers/ and relative paths so the option string stays short.
 */
export class OverlaySnapshotter implements Snapshotter {
  private readonly locks = new KeyedLock();
  /** background deletions of removed snapshots and layers (see removeDir) */
  private readonly deleting = new Set<Promise<void>>();

  private constructor(readonly root: string, private readonly opts: OverlayOptions = {}) {}

  static async open(dataRoot: string, opts: OverlayOptions = {}): Promise<OverlaySnapshotter> {
    await fs.mkdir(dataRoot, { recursive: true });
    // /proc/self/mountinfo shows resolved paths, so the root must be one.
    const root = path.join(await fs.realpath(dataRoot), 'overlay');
    for (const d of ['layers', 'containers', 'empty']) await fs.mkdir(path.join(root, d), { recursive: true, mode: 0o710 });
    await fs.rm(path.join(root, 'tmp'), { recursive: true, force: true });
    await fs.mkdir(path.join(root, 'tmp'), { mode: 0o700 });
    // userns-remap: the remapped root must reach a container's merged dir (Docker's 0710 root:<remapped gid>)
    if (opts.idMap) for (const d of ['', 'layers', 'containers']) await fs.chown(path.join(root, d), 0, rootPair(opts.idMap).gid);
    return new OverlaySnapshotter(root, opts);
  }

  private layerDir(diffID: string): string {
    return path.join(this.root, 'layers', checkDiffID(diffID));
  }

  private async readLayerMeta(diffID: string): Promise<LayerMeta | undefined> {
    const dir = this.layerDir(diffID);
    let meta: LayerMeta;
    try {
      meta = JSON.parse(await fs.readFile(path.join(dir, 'layer.json'), 'utf8')) as LayerMeta;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    if (meta.diffID !== diffID) throw internal(`layer directory ${dir} holds ${meta.diffID}, not ${diffID}`);
    return meta;
  }

  private async mustLayer(diffID: string): Promise<LayerMeta> {
    const meta = await this.readLayerMeta(diffID);
    if (!meta) throw notFound(`layer ${diffID}: not found`);
    return meta;
  }

  async hasLayer(diffID: string): Promise<boolean> {
    return (await this.readLayerMeta(diffID)) !== undefined;
  }

  async layerSize(diffID: string): Promise<number> {
    return (await this.mustLayer(diffID)).size;
  }

  layerPath(diffID: string): string {
    return path.join(this.layerDir(diffID), 'diff');
  }

  async applyLayer(want: string | undefined, tar: Readable | AsyncIterable<Buffer>, opts: { sync?: boolean; digest?: Promise<string> } = {}): Promise<{ size: number; diffID: string }> {
    const existing = want === undefined ? undefined : await this.readLayerMeta(want);
    if (existing) {
      // Consume the stream so the producer is not left hanging.
      for await (const _ of tar) {
        // discard
      }
      return { size: existing.size, diffID: existing.diffID };
    }
    const tmp = path.join(this.root, 'tmp', `apply-${randomBytes(8).toString('hex')}`);
    try {
      await fs.mkdir(path.join(tmp, 'diff'), { recursive: true, mode: 0o755 });
      // the tar reader is loaded with the first layer: a daemon that unpacks nothing does not carry it
      const { unpackLayer } = await import('./unpack.js');
      const res = await unpackLayer(tar, path.join(tmp, 'diff'), { idMap: this.opts.idMap, hash: !opts.digest });
      if (opts.digest) res.digest = await opts.digest;
      if (want !== undefined && res.digest !== want) throw invalidArgument(`layer digest mismatch: expected ${want}, got ${res.digest}`);
      const diffID = res.digest;
      const dir = this.layerDir(diffID);
      const had = want === undefined ? await this.readLayerMeta(diffID) : undefined;
      if (had) return { size: had.size, diffID };
      const meta: LayerMeta = { diffID, size: res.size };
      await fs.writeFile(path.join(tmp, 'layer.json'), JSON.stringify(meta));
      if (opts.sync !== false) await run('sync', ['-f', tmp]);
      try {
        await fs.rename(tmp, dir);
      } catch (err) {
        // Lost a race with a concurrent apply of the same layer: theirs is as good as ours.
        if (!['ENOTEMPTY', 'EEXIST'].includes(errnoCode(err) ?? '') || !(await this.hasLayer(diffID))) throw err;
      }
      return { size: res.size, diffID };
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }

  async removeLayer(diffID: string): Promise<void> {
    const dir = this.layerDir(diffID);
    await this.locks.run('', async () => {
      for (const key of await this.list()) {
        if ((await this.snapshotLayers(key))?.includes(diffID)) {
          throw conflict(`layer ${diffID} is in use by snapshot ${key}`);
        }
      }
      await this.removeDir(dir);
    });
  }

  async listLayers(): Promise<string[]> {
    const out: string[] = [];
    for (const name of await fs.readdir(path.join(this.root, 'layers'))) {
      try {
        const meta = JSON.parse(await fs.readFile(path.join(this.root, 'layers', name, 'layer.json'), 'utf8')) as LayerMeta;
        if (DIFF_ID_RE.test(meta.diffID) && meta.diffID.slice(7, 7 + SHORT_LEN) === name) out.push(meta.diffID);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR') throw err;
      }
    }
    return out.sort();
  }

  async usedLayers(): Promise<Set<string>> {
    const used = new Set<string>();
    for (const key of await this.list()) for (const d of (await this.snapshotLayers(key)) ?? []) used.add(d);
    return used;
  }

  private containerDir(key: string): string {
    checkKey(key);
    return path.join(this.root, 'containers', key);
  }

  upperDir(key: string): string {
    return path.join(this.containerDir(key), 'upper');
  }

  mergedDir(key: string): string {
    return path.join(this.containerDir(key), 'merged');
  }

  graphDriverData(key: string): { Name: string; Data: Record<string, string> | null } {
    const dir = this.containerDir(key);
    let layers: string[];
    try {
      layers = JSON.parse(readFileSync(path.join(dir, 'layers.json'), 'utf8')) as string[];
    } catch {
      return { Name: 'overlay2', Data: null };
    }
    const lower = layers.length === 0 ? path.join(this.root, 'empty') : [...layers].reverse().map((d) => this.layerPath(d)).join(':');
    return {
      Name: 'overlay2',
      Data: { LowerDir: lower, MergedDir: path.join(dir, 'merged'), UpperDir: path.join(dir, 'upper'), WorkDir: path.join(dir, 'work') },
    };
  }

  private async snapshotLayers(key: string): Promise<string[] | undefined> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.containerDir(key), 'layers.json'), 'utf8')) as string[];
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  async create(key: string, diffIDs: string[]): Promise<void> {
    const dir = this.containerDir(key);
    for (const d of diffIDs) checkDiffID(d);
    await this.locks.run('', async () => {
      const existing = await this.snapshotLayers(key);
      if (existing) {
        if (existing.join() !== diffIDs.join()) throw conflict(`snapshot ${key} already exists with other layers`);
        return;
      }
      for (const d of diffIDs) await this.mustLayer(d);
      for (const sub of ['upper', 'work', 'merged']) await fs.mkdir(path.join(dir, sub), { recursive: true, mode: 0o755 });
      // the root of the container's file system is the upper dir's: owned by the remapped root, as the layers' root is
      if (this.opts.idMap) await fs.chown(path.join(dir, 'upper'), rootPair(this.opts.idMap).uid, rootPair(this.opts.idMap).gid);
      const tmp = path.join(dir, 'layers.json.tmp');
      await fs.writeFile(tmp, JSON.stringify(diffIDs));
      await fs.rename(tmp, path.join(dir, 'layers.json'));
    });
  }

  async prepare(key: string, diffIDs?: string[]): Promise<{ rootfs: string }> {
    const dir = this.containerDir(key);
    const merged = path.join(dir, 'merged');
    if (diffIDs) await this.create(key, diffIDs);
    return this.locks.run(key, async () => {
      const layers = await this.snapshotLayers(key);
      if (!layers) throw notFound(`snapshot ${key}: not found`);
      if (await this.isMounted(merged)) return { rootfs: merged };
      for (const d of layers) await this.mustLayer(d);
      // overlay lists the top layer first
      const lower = layers.length === 0 ? '../empty' : [...layers].reverse().map((d) => `${checkDiffID(d)}/diff`).join(':');
      const data = `lowerdir=${lower},upperdir=../containers/${key}/upper,workdir=../containers/${key}/work`;
      if (data.length > MAX_MOUNT_DATA) throw invalidArgument(`snapshot ${key}: too many layers (${layers.length})`);
      await mount('overlay', merged, 'overlay', data, { cwd: path.join(this.root, 'layers') });
      return { rootfs: merged };
    });
  }

  async unmount(key: string): Promise<void> {
    const merged = this.mergedDir(key);
    await this.locks.run(key, async () => {
      // Loop: a path may have been mounted more than once.
      for (let i = 0; i < 8 && (await this.isMounted(merged)); i++) {
        try {
          await unmount(merged);
        } catch {
          await unmount(merged, { lazy: true }); // busy: detach, as Docker's overlay2 driver does
        }
      }
      if (await this.isMounted(merged)) throw internal(`snapshot ${key}: cannot unmount ${merged}`);
    });
  }

  async remove(key: string): Promise<void> {
    const dir = this.containerDir(key);
    await this.unmount(key);
    await this.locks.run('', async () => {
      await this.removeDir(dir);
    });
  }

  /**
   * Rename into tmp/ first so a crash never leaves a half-deleted layer or snapshot in place. The rename
   * is the removal; deleting the files of a large upper dir then goes on in the background (what is left
   * after a crash is swept on open). `settle()` waits for it.
   */
  private async removeDir(dir: string): Promise<void> {
    const tmp = path.join(this.root, 'tmp', `remove-${randomBytes(8).toString('hex')}`);
    try {
      await fs.rename(dir, tmp);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    const done = fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined).finally(() => this.deleting.delete(done));
    this.deleting.add(done);
  }

  /** Resolves once the files of removed snapshots and layers are deleted. */
  async settle(): Promise<void> {
    await Promise.all([...this.deleting]);
  }

  async list(): Promise<string[]> {
    const names = await fs.readdir(path.join(this.root, 'containers'));
    return names.filter((n) => KEY_RE.test(n)).sort();
  }

  async listMounted(): Promise<string[]> {
    const prefix = path.join(this.root, 'containers') + '/';
    const keys = new Set<string>();
    for (const m of await this.mounts()) {
      if (!m.mountPoint.startsWith(prefix) || !m.mountPoint.endsWith('/merged')) continue;
      const key = m.mountPoint.slice(prefix.length, -'/merged'.length);
      if (KEY_RE.test(key)) keys.add(key);
    }
    return [...keys].sort();
  }

  private async mounts() {
    return parseMountInfo(await fs.readFile('/proc/self/mountinfo', 'utf8'));
  }

  private async isMounted(p: string): Promise<boolean> {
    return (await this.mounts()).some((m) => m.mountPoint === p);
  }
}
