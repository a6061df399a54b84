/**
 * ContainerStore: every container record in memory, each persisted as
 * <dataRoot>/containers/<id>/config.v2.json (written to a temp file, fsynced, renamed: a crash leaves the
 * old or the new file, never half of one). Resolves references as Docker does: full id, name (with or
 * without the leading slash), then a unique id prefix.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { conflict, invalidArgument, notFound } from '../core/errors.js';
import type { ContainerRecord } from './record.js';
import { writeFileAtomic } from '../host/index.js';


export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();

  private constructor(readonly root: string) {}

  static async open(root: string): Promise<ContainerStore> {
    await fsp.mkdir(root, { recursive: true, mode: 0o700 });
    const store = new ContainerStore(root);
    for (const id of await fsp.readdir(root)) {
      const file = path.join(root, id, 'config.v2.json');
      const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) {
        // a create that never finished writing its record: nothing refers to it
        await fsp.rm(path.join(root, id), { recursive: true, force: true });
        continue;
      }
      const rec = JSON.parse(text) as ContainerRecord;
      store.byId.set(rec.id, rec);
      store.byName.set(rec.name, rec.id);
    }
    return store;
  }

  dir(id: string): string {
    return path.join(this.root, id);
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): ContainerRecord | undefined {
    return this.byId.get(id);
  }

  /** Resolve a reference; throws Docker's 404 `No such container: <ref>`. */
  resolve(ref: string): ContainerRecord {
    const rec = this.find(ref);
    if (!rec) throw notFound(`No such container: ${ref}`);
    return rec;
  }

  find(ref: string): ContainerRecord | undefined {
    if (!ref) return undefined;
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.byName.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.byId.get(byName);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const matches = [...this.byId.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${ref}`);
    return matches.length ? this.byId.get(matches[0]) : undefined;
  }

  nameTaken(name: string): boolean {
    return this.byName.has(name.startsWith('/') ? name : `/${name}`);
  }

  /** Reserve a name for a new container: 409 as Docker's if in use. */
  claimName(name: string, id: string): void {
    const other = this.byName.get(name);
    if (other && other !== id) {
      throw conflict(`Conflict. The container name "${name}" is already in use by container "${other}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    this.byName.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.byName.get(name) === id) this.byName.delete(name);
  }

  async save(rec: ContainerRecord): Promise<void> {
    await fsp.mkdir(this.dir(rec.id), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path.join(this.dir(rec.id), 'config.v2.json'), JSON.stringify(rec));
    this.byId.set(rec.id, rec);
    this.byName.set(rec.name, rec.id);
  }

  async remove(rec: ContainerRecord): Promise<void> {
    this.byId.delete(rec.id);
    this.releaseName(rec.name, rec.id);
    await fsp.rm(this.dir(rec.id), { recursive: true, force: true });
  }
}
