/**
 * VolumeStore: the local driver's volumes on disk, every record also in memory.
 *
 *   <root>/<name>/volume.json   the record (written atomically: tmp file, fsync, rename)
 *   <root>/<name>/_data         the data, bind-mounted into containers (or a mount point, with options)
 *
 * A crash never leaves half a volume: a volume is assembled under <root>/.tmp-* and renamed into place,
 * and removed by renaming it to <root>/.trash-* first; open() clears both kinds of leftovers. A volume
 * directory without a record (an older layout, or copied in by hand) is adopted with default metadata.
 * Nothing is deleted while a file system is mounted below it.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errnoCode, internal } from '../core/errors.js';
import { writeFileAtomic } from '../host/index.js';
import type { Mounter } from './mounter.js';
import { LOCAL_DRIVER, nameError, type VolumeRecord } from './record.js';

const META = 'volume.json';
const DATA = '_data';

export interface VolumeStoreOptions {
  mounter: Pick<Mounter, 'mountsUnder' | 'unmount'>;
  log?: (msg: string) => void;
  /** userns-remap: new volumes' _data belongs to the containers' remapped root (Docker's rootIdentity) */
  rootOwner?: { uid: number; gid: number };
}

function isRecord(v: unknown): v is VolumeRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const map = (x: unknown) => x === null || (typeof x === 'object' && !Array.isArray(x));
  return typeof r.name === 'string' && typeof r.driver === 'string' && typeof r.createdAt === 'string' && map(r.labels) && map(r.options);
}

export class VolumeStore {
  private readonly byName = new Map<string, VolumeRecord>();

  private constructor(readonly root: string, private readonly opts: VolumeStoreOptions) {}

  static async open(root: string, opts: VolumeStoreOptions): Promise<VolumeStore> {
    await fsp.mkdir(root, { recursive: true, mode: 0o701 });
    const s = new VolumeStore(root, opts);
    for (const ent of await fsp.readdir(root, { withFileTypes: true })) {
      const dir = path.join(root, ent.name);
      if (ent.name.startsWith('.tmp-') || ent.name.startsWith('.trash-')) {
        await s.removeTree(dir).catch((e: unknown) => s.log(`volumes: leaving ${dir}: ${(e as Error).message}`));
        continue;
      }
      if (!ent.isDirectory() || nameError(ent.name)) continue;
      s.byName.set(ent.name, await s.load(ent.name));
    }
    return s;
  }

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  private async load(name: string): Promise<VolumeRecord> {
    const dir = path.join(this.root, name);
    for (const f of await fsp.readdir(dir)) if (f.startsWith(`${META}.tmp-`)) await fsp.rm(path.join(dir, f), { force: true });
    try {
      const rec: unknown = JSON.parse(await fsp.readFile(path.join(dir, META), 'utf8'));
      if (isRecord(rec) && rec.name === name) return rec;
      this.log(`volumes: ${name}: unreadable ${META}, using default metadata`);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') this.log(`volumes: ${name}: unreadable ${META} (${(e as Error).message}), using default metadata`);
    }
    // a directory without a (valid) record: adopt it as a plain local volume
    const st = await fsp.stat(dir);
    const rec: VolumeRecord = { name, driver: LOCAL_DRIVER, createdAt: st.birthtime.toISOString(), labels: null, options: null };
    await fsp.mkdir(path.join(dir, DATA), { mode: 0o755 }).catch((e: unknown) => {
      if (errnoCode(e) !== 'EEXIST') throw e;
    });
    return rec;
  }

  all(): VolumeRecord[] {
    return [...this.byName.values()];
  }

  get(name: string): VolumeRecord | undefined {
    return this.byName.get(name);
  }

  /** <root>/<name>/_data: the volume's Mountpoint. */
  dataPath(name: string): string {
    return path.join(this.root, name, DATA);
  }

  /** Creates the volume directory and its record in one rename; the name must be free. */
  async create(rec: VolumeRecord): Promise<void> {
    if (this.byName.has(rec.name)) throw internal(`volume ${rec.name} already exists`);
    const final = path.join(this.root, rec.name);
    const tmp = path.join(this.root, `.tmp-${rec.name}-${randomBytes(4).toString('hex')}`);
    try {
      await fsp.mkdir(tmp, { mode: 0o701 });
      await fsp.mkdir(path.join(tmp, DATA), { mode: 0o755 });
      await fsp.chmod(path.join(tmp, DATA), 0o755); // whatever the umask
      if (this.opts.rootOwner) await fsp.chown(path.join(tmp, DATA), this.opts.rootOwner.uid, this.opts.rootOwner.gid);
      await writeFileAtomic(path.join(tmp, META), JSON.stringify(rec));
      await fsp.lstat(final).then(
        () => {
          throw internal(`error while creating volume root path '${final}': file exists`);
        },
        (e: unknown) => {
          if (errnoCode(e) !== 'ENOENT') throw e;
        },
      );
      await fsp.rename(tmp, final);
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw e;
    }
    this.byName.set(rec.name, rec);
  }

  /** Rewrites a volume's record (atomically). */
  async save(rec: VolumeRecord): Promise<void> {
    if (!this.byName.has(rec.name)) throw internal(`volume ${rec.name} does not exist`);
    await writeFileAtomic(path.join(this.root, rec.name, META), JSON.stringify(rec));
    this.byName.set(rec.name, rec);
  }

  /** Removes a volume and its data; refuses while anything is mounted below it. */
  async remove(name: string): Promise<void> {
    const dir = path.join(this.root, name);
    const mounted = await this.opts.mounter.mountsUnder(dir);
    if (mounted.length > 0) throw internal(`remove ${name}: volume is still mounted at ${mounted.join(', ')}`);
    const trash = path.join(this.root, `.trash-${name}-${randomBytes(4).toString('hex')}`);
    try {
      await fsp.rename(dir, trash);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
      this.byName.delete(name);
      return;
    }
    this.byName.delete(name);
    await fsp.rm(trash, { recursive: true, force: true }).catch((e: unknown) => this.log(`volumes: removing ${trash}: ${(e as Error).message}`));
  }

  /** rm -rf of a leftover, after unmounting whatever is mounted below it. */
  private async removeTree(dir: string): Promise<void> {
    for (const m of await this.opts.mounter.mountsUnder(dir)) await this.opts.mounter.unmount(m);
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
