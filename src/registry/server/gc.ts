/**
 * Mark-and-sweep garbage collection of the registry's blobs.
 *
 * Mark: every manifest of every repository is alive, and so is everything it refers to (config and
 * layers of an image manifest, the child manifests of an index). Untagged manifests count: deleting a
 * manifest is how a user lets its blobs go. Sweep: every other blob of the content store is deleted,
 * then the repository links to deleted blobs, then repositories left with nothing.
 *
 * Grace period: a blob pushed (or linked) less than `gracePeriodMs` ago is kept even when unreferenced,
 * because a client pushing an image uploads the layers first and the manifest last; sweeping in between
 * would fail its push. Pass 0 to collect everything unreferenced (an offline registry).
 */
import * as fs from 'node:fs/promises';
import type { Digest, LocalContentStore } from '../../content/index.js';
import { parseManifest, referencedDigests } from './manifests.js';
import type { RepositoryStore } from './repositories.js';

export const DEFAULT_GC_GRACE_MS = 3600_000;

export interface GcOptions {
  /** report what would be removed without removing anything */
  dryRun?: boolean;
  /** keep unreferenced blobs pushed or linked more recently than this (default 1 hour) */
  gracePeriodMs?: number;
}

export interface GcResult {
  /** digests of the blobs removed (or that would be, with dryRun) */
  removed: string[];
  freedBytes: number;
  /** repositories removed because nothing was left in them */
  removedRepositories: string[];
}

export async function collectGarbage(
  store: LocalContentStore,
  repos: RepositoryStore,
  opts: GcOptions & { log?: (msg: string) => void; now?: number },
): Promise<GcResult> {
  const log = opts.log ?? (() => {});
  const now = opts.now ?? Date.now();
  const grace = opts.gracePeriodMs ?? DEFAULT_GC_GRACE_MS;
  const names = await repos.list();

  const marked = new Set<string>();
  const recent = new Set<string>();
  for (const name of names) {
    for (const rev of await repos.revisions(name)) {
      marked.add(rev.digest);
      let bytes: Buffer;
      try {
        bytes = await store.readBuffer(rev.digest);
      } catch {
        log(`gc: manifest ${rev.digest} of ${name} is missing from the content store`);
        continue;
      }
      try {
        for (const d of referencedDigests(parseManifest(bytes, rev.mediaType))) marked.add(d);
      } catch (err) {
        log(`gc: manifest ${rev.digest} of ${name} cannot be parsed: ${(err as Error).message}`);
      }
    }
    for (const link of await repos.blobLinks(name)) {
      if (now - link.mtimeMs < grace) recent.add(link.digest);
    }
  }

  const removed: Digest[] = [];
  let freedBytes = 0;
  for (const { digest, size } of await store.list()) {
    if (marked.has(digest) || recent.has(digest)) continue;
    const st = await fs.stat(store.blobPath(digest)).catch(() => undefined);
    if (!st || now - st.mtimeMs < grace) continue;
    removed.push(digest);
    freedBytes += size;
    if (!opts.dryRun) await store.delete(digest);
  }

  const removedRepositories: string[] = [];
  if (!opts.dryRun) {
    const gone = new Set<string>(removed);
    for (const name of names) {
      for (const link of await repos.blobLinks(name)) {
        if (gone.has(link.digest) || !(await store.has(link.digest))) await repos.unlinkBlob(name, link.digest);
      }
      if (await repos.removeIfEmpty(name)) removedRepositories.push(name);
    }
  }
  log(`gc: ${opts.dryRun ? 'would remove' : 'removed'} ${removed.length} blob(s), ${freedBytes} bytes, ${removedRepositories.length} empty repositories`);
  return { removed, freedBytes, removedRepositories };
}
