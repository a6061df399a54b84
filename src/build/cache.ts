/**
 * The build cache: step key -> the image the step made. It lives in `<state>/cache.json` (written
 * atomically) and survives restarts. A new entry serves lookups at once but is written to the index only
 * when `commit` is given its key: the build first flushes its images to the disk (one sync for the
 * whole build), so neither a daemon killed mid-build nor a power cut leaves an entry whose image is not
 * whole on the disk.
 *
 * A step's key hashes its parent image, the instruction as history records it (with the build args it
 * uses, as Docker's `|N A=b` prefix), the resulting container config, and for COPY/ADD a hash of the
 * sources' content and metadata (mtime excluded). A hit needs the image to still exist.
 *
 * Prune (`docker builder prune`, builder.gc.defaultKeepStorage): entries go least recently used first;
 * an entry's image is removed with it unless something else holds it (a tag, a container, a child).
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ContainerConfig } from '../api/types.js';
import { writeFileAtomic } from '../host/atomic.js';
import { newId } from '../core/ids.js';

export interface CacheKeyInput {
  parent: string;
  createdBy: string;
  config: ContainerConfig;
  /** COPY/ADD: the hash of the sources */
  contentHash?: string;
}

export interface CacheEntry {
  id: string;
  key: string;
  image: string;
  parent: string;
  description: string;
  size: number;
  createdAt: string;
  lastUsedAt: string;
  usageCount: number;
}

/** The key of a step: stable JSON of what decides its result. */
export function cacheKey(k: CacheKeyInput): string {
  const stable = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(stable);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().filter((x) => (v as Record<string, unknown>)[x] !== undefined).map((x) => [x, stable((v as Record<string, unknown>)[x])]));
    }
    return v;
  };
  const cfg = { ...k.config, Image: undefined, Hostname: undefined };
  return `sha256:${createHash('sha256').update(JSON.stringify(stable({ p: k.parent, c: k.createdBy, cfg, h: k.contentHash ?? '' }))).digest('hex')}`;
}

export interface PruneOptions {
  all: boolean;
  /** bytes to keep (0: no limit) */
  keepStorage: number;
  /** entries last used before this (ms since epoch) */
  until?: number;
  /** `id` filters */
  ids?: string[];
}

export class BuildCache {
  private entries = new Map<string, CacheEntry>();
  /** keys added and not yet committed: kept out of cache.json */
  private readonly pending = new Set<string>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(dir: string): Promise<BuildCache> {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    const c = new BuildCache(path.join(dir, 'cache.json'));
    const text = await fsp.readFile(c.file, 'utf8').catch(() => '[]');
    try {
      for (const e of JSON.parse(text) as CacheEntry[]) c.entries.set(e.key, e);
    } catch {
      // a damaged index is an empty cache
    }
    return c;
  }

  list(): CacheEntry[] {
    return [...this.entries.values()];
  }

  /** The entry for `key` whose image still exists (see `exists`) and that `accept` takes; counts the use. */
  async lookup(key: string, exists: (image: string) => boolean, accept: (image: string) => boolean = () => true): Promise<CacheEntry | undefined> {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (!accept(e.image)) return undefined;
    if (!exists(e.image)) {
      this.entries.delete(key);
      await this.persist();
      return undefined;
    }
    e.lastUsedAt = new Date().toISOString();
    e.usageCount++;
    this.persistSoon();
    return e;
  }

  /** A new entry: looked up at once, written to the index by `commit`. */
  add(key: string, v: { image: string; parent: string; description: string; size: number }): void {
    const now = new Date().toISOString();
    this.entries.set(key, { id: newId().slice(0, 25), key, ...v, createdAt: now, lastUsedAt: now, usageCount: 1 });
    this.pending.add(key);
  }

  /** The keys added and not committed yet. */
  uncommitted(): string[] {
    return [...this.pending];
  }

  /** Writes these added entries to the index (their images are on the disk now). */
  async commit(keys: string[]): Promise<void> {
    if (!keys.length) return;
    for (const k of keys) this.pending.delete(k);
    await this.persist();
  }

  /** Entries whose image is held by something else share their size. */
  totalSize(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.size;
    return n;
  }

  /**
   * Removes entries as `opts` asks; `remove` drops an entry's image (false when something still holds
   * it). Returns the removed entries.
   */
  async prune(opts: PruneOptions, remove: (image: string) => Promise<boolean>): Promise<CacheEntry[]> {
    const lru = [...this.entries.values()].sort((a, b) => a.lastUsedAt.localeCompare(b.lastUsedAt));
    const out: CacheEntry[] = [];
    let total = this.totalSize();
    for (const e of lru) {
      if (opts.ids && !opts.ids.some((id) => e.id.startsWith(id))) continue;
      if (opts.until !== undefined && Date.parse(e.lastUsedAt) >= opts.until) continue;
      if (opts.keepStorage > 0 && total <= opts.keepStorage) break;
      this.entries.delete(e.key);
      this.pending.delete(e.key);
      total -= e.size;
      out.push(e);
    }
    await this.persist();
    // children first: an image is removable once the entries built on it are gone
    for (const e of out.reverse()) {
      const shared = [...this.entries.values()].some((x) => x.image === e.image);
      if (!shared) await remove(e.image).catch(() => false);
    }
    return out;
  }

  private soon: NodeJS.Timeout | undefined;

  /** Use counts are kept within a second: a rebuild of many hits writes the index once. */
  private persistSoon(): void {
    this.soon ??= setTimeout(() => {
      this.soon = undefined;
      void this.persist();
    }, 1000);
    this.soon.unref();
  }

  private persist(): Promise<void> {
    const data = JSON.stringify(this.list().filter((e) => !this.pending.has(e.key)));
    this.writing = this.writing.then(() => writeFileAtomic(this.file, data)).catch(() => undefined);
    return this.writing;
  }
}
