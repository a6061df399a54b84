/**
 * NetworkStore: every network record in memory, each persisted as <dataRoot>/network/<id>.json
 * (atomically). Resolves references as Docker does: full id, then exact name, then a unique id prefix.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { invalidArgument, notFound } from '../core/errors.js';
import { writeFileAtomic } from '../host/index.js';
import type { NetworkRecord } from './record.js';
import { byCodePoint } from '../core/compare.js';

export class NetworkStore {
  private readonly byId = new Map<string, NetworkRecord>();
  /** the last write of a record, and the one not yet started (which takes the latest state) */
  private readonly writing = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<void>>();

  private constructor(readonly root: string) {}

  static async open(root: string): Promise<NetworkStore> {
    await fsp.mkdir(root, { recursive: true, mode: 0o700 });
    const s = new NetworkStore(root);
    for (const f of await fsp.readdir(root)) {
      if (!f.endsWith('.json')) {
        if (f.includes('.tmp-')) await fsp.rm(path.join(root, f), { force: true });
        continue;
      }
      const rec = JSON.parse(await fsp.readFile(path.join(root, f), 'utf8')) as NetworkRecord;
      s.byId.set(rec.id, rec);
    }
    return s;
  }

  all(): NetworkRecord[] {
    return [...this.byId.values()].sort((a, b) => byCodePoint(a.created, b.created) || byCodePoint(a.name, b.name));
  }

  get(id: string): NetworkRecord | undefined {
    return this.byId.get(id);
  }

  byName(name: string): NetworkRecord | undefined {
    return this.all().find((n) => n.name === name);
  }

  find(ref: string): NetworkRecord | undefined {
    if (!ref) return undefined;
    const exact = this.byId.get(ref) ?? this.byName(ref);
    if (exact) return exact;
    const matches = this.all().filter((n) => n.id.startsWith(ref));
    if (matches.length > 1) throw invalidArgument(`network ${ref} is ambiguous (${matches.length} matches found based on ID prefix)`);
    return matches[0];
  }

  /** Docker's 404: `network x not found`. */
  resolve(ref: string): NetworkRecord {
    const n = this.find(ref);
    if (!n) throw notFound(`network ${ref} not found`);
    return n;
  }

  /**
   * Persists a record (atomically). Saves of one record are written one at a time and coalesced: a save
   * asked for while another is being written is done by the next write, which takes the record as it is
   * then, so the file never goes back to an older state and callers in a burst share one write.
   */
  save(rec: NetworkRecord): Promise<void> {
    this.byId.set(rec.id, rec);
    const queued = this.queued.get(rec.id);
    if (queued) return queued;
    const p = (this.writing.get(rec.id) ?? Promise.resolve()).catch(() => undefined).then(async () => {
      this.queued.delete(rec.id);
      const cur = this.byId.get(rec.id);
      if (cur) await writeFileAtomic(path.join(this.root, `${rec.id}.json`), JSON.stringify(cur));
    });
    this.queued.set(rec.id, p);
    this.writing.set(rec.id, p);
    void p.catch(() => undefined).finally(() => { if (this.writing.get(rec.id) === p) this.writing.delete(rec.id); });
    return p;
  }

  async remove(id: string): Promise<void> {
    this.byId.delete(id);
    await this.writing.get(id)?.catch(() => undefined);
    await fsp.rm(path.join(this.root, `${id}.json`), { force: true });
  }
}
