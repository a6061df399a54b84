/**
 * Builder: the build subsystem's front door (POST /build, POST /build/prune, the BuildCache of
 * /system/df). A build unpacks its context into a private directory as it arrives, runs (run.ts), and
 * removes its scratch directory whatever happens; the cache is then trimmed to
 * builder.gc.defaultKeepStorage.
 *
 * The context directory of a finished build is kept (with its index, in memory) for the next build,
 * which receives into it and writes only the files that changed: a rebuild of the same context writes
 * nothing. Two are kept at most, the last used (builds running at the same time take one each); a
 * daemon start clears them, as the index does not outlive the process. Berth's own client names its
 * context (a key) and may send only what changed since the copy kept under that key, its base
 * (client/buildcontext.ts): a build with a base takes that copy or fails with a Conflict before it reads
 * the body, and the client sends the whole context. While a kept context's content stays the same from
 * one build to the next, the source descriptions its COPY steps hashed are kept with it (a rebuild
 * hashes nothing again).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { conflict } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { BuildBackend } from './backend.js';
import { BuildCache, type CacheEntry, type PruneOptions } from './cache.js';
import { receiveContext, stampsOf, type ContextIndex } from './context/receive.js';
import { cloneGitContext, httpContext, isGitUrl, packDir } from './context/remote.js';
import { BuildOutput, type Emit } from './output.js';
import { BuildRun, failure, type BuildOptions } from './run.js';

export interface BuilderOptions {
  /** builder.gc.defaultKeepStorage in bytes (0: unbounded) */
  keepStorage: number;
  gcEnabled: boolean;
}

/** /system/df's BuildCache item. */
export interface BuildCacheRecord {
  ID: string;
  Parent: string;
  Parents: string[];
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string;
  UsageCount: number;
}

/** Kept context directories; a context of more entries than this is not kept (the index is memory). */
const SPARE_CONTEXTS = 2;
const SPARE_MAX_ENTRIES = 200_000;
/** COPY source descriptions kept per context, at most */
const MEMO_MAX = 1000;

/** A kept context directory: its index, the client's key for it (if any), and the id of this copy. */
interface KeptContext {
  dir: string;
  index: ContextIndex;
  key?: string;
  base: string;
  /** COPY's source descriptions, kept while the content stays the same (scope.ts contextMemo) */
  memo?: Map<string, string>;
}

export class Builder {
  /** kept contexts, the last used last */
  private readonly spare: KeptContext[] = [];

  private constructor(private readonly backend: BuildBackend, readonly cache: BuildCache, private readonly o: BuilderOptions) {}

  static async open(backend: BuildBackend, o: BuilderOptions): Promise<Builder> {
    await fsp.rm(path.join(backend.stateDir, 'tmp'), { recursive: true, force: true });
    await fsp.mkdir(path.join(backend.stateDir, 'tmp'), { recursive: true, mode: 0o700 });
    return new Builder(backend, await BuildCache.open(backend.stateDir), o);
  }

  /**
   * Runs a build from a context stream. An error before any output is thrown (the route answers with
   * its status, as dockerd does); after that it goes into the stream as errorDetail.
   */
  async build(body: Readable, opts: BuildOptions, emit: Emit, signal: AbortSignal): Promise<string | undefined> {
    const ctx = this.takeContext(opts.contextKey, opts.contextBase);
    const dir = path.join(this.backend.stateDir, 'tmp', newId().slice(0, 16));
    const tmpDir = path.join(dir, 'tmp');
    let received: ContextIndex | undefined;
    let memo: Map<string, string> | undefined;
    const t0 = Date.now();
    const out = new BuildOutput(emit, opts.quiet, traceSteps(t0));
    try {
      await fsp.mkdir(tmpDir, { recursive: true, mode: 0o700 });
      await fsp.mkdir(ctx.dir, { recursive: true, mode: 0o700 });
      let input = body;
      if (opts.remote) {
        body.resume(); // the client sends no context with a remote one
        if (isGitUrl(opts.remote)) {
          input = await packDir(await cloneGitContext(opts.remote, path.join(dir, 'git'), signal));
        } else {
          // a Dockerfile alone is named as `dockerfile` says
          const rc = await httpContext(opts.remote, signal, opts.dockerfile && !opts.dockerfile.includes('\n') ? opts.dockerfile : 'Dockerfile');
          input = rc.body;
          if (rc.dockerfile) opts = { ...opts, dockerfile: rc.dockerfile };
        }
      }
      const got = await receiveContext(input, ctx.dir, signal, ctx.index, { delta: opts.contextBase !== undefined });
      received = got.index;
      // COPY's keys of earlier builds still hold when the content is the same (a bounded few)
      memo = got.same && ctx.memo && ctx.memo.size < MEMO_MAX ? ctx.memo : new Map();
      if (process.env.BERTH_BUILD_TRACE) process.stderr.write(`build-trace context ${Date.now() - t0}ms ${got.files} files, ${got.written} written\n`);
      const run = new BuildRun(opts, { backend: this.backend, cache: this.cache, out, contextDir: ctx.dir, contextIndex: received, contextMemo: memo, tmpDir, signal });
      return await run.execute();
    } catch (e) {
      // before any output, the error is the response's status (a Dockerfile parse error is a 400)
      if (!out.started) throw e;
      if (!signal.aborted) {
        const f = failure(e);
        out.error(f.message, f.code);
      }
      return undefined;
    } finally {
      await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      // a context that did not arrive whole is in no known state: it goes
      if (received && received.size <= SPARE_MAX_ENTRIES) this.spare.push({ dir: ctx.dir, index: received, key: opts.contextKey, base: newId().slice(0, 16), memo });
      else await fsp.rm(ctx.dir, { recursive: true, force: true }).catch(() => undefined);
      for (const old of this.spare.splice(0, Math.max(0, this.spare.length - SPARE_CONTEXTS))) await fsp.rm(old.dir, { recursive: true, force: true }).catch(() => undefined);
      if (this.o.gcEnabled && this.o.keepStorage > 0 && this.cache.totalSize() > this.o.keepStorage) {
        await this.prune({ all: false, keepStorage: this.o.keepStorage }).catch(() => undefined);
      }
      if (process.env.BERTH_BUILD_TRACE) process.stderr.write(`build-trace +${Date.now() - t0}ms end (started at ${t0})\n`);
    }
  }

  /**
   * The context directory a build receives into: with a base, that kept copy (Conflict when it is gone);
   * else the copy kept under the key, or the last kept one no client named, or a new directory.
   */
  private takeContext(key: string | undefined, base: string | undefined): { dir: string; index: ContextIndex; memo?: Map<string, string> } {
    let at = key !== undefined ? this.lastKept((k) => k.key === key && (base === undefined || k.base === base)) : -1;
    if (at < 0 && base !== undefined) throw conflict(`build context base ${base} is gone: send the whole context`);
    if (at < 0) at = this.lastKept((k) => k.key === undefined);
    if (at >= 0) return this.spare.splice(at, 1)[0]!;
    return { dir: path.join(this.backend.stateDir, 'tmp', `context-${newId().slice(0, 16)}`), index: new Map() };
  }

  /** The index of the last used kept context `f` accepts; -1 when none. */
  private lastKept(f: (k: KeptContext) => boolean): number {
    for (let i = this.spare.length - 1; i >= 0; i--) if (f(this.spare[i]!)) return i;
    return -1;
  }

  /** What the daemon keeps under a client's key: the copy's base and its paths' stamps (none: no base). */
  keptContext(key: string): { Base: string | null; Entries: Record<string, string> } {
    const k = this.spare[this.lastKept((s) => s.key === key)];
    return { Base: k?.base ?? null, Entries: k ? stampsOf(k.index) : {} };
  }

  async prune(opts: PruneOptions): Promise<{ CachesDeleted: string[]; SpaceReclaimed: number }> {
    const removed = await this.cache.prune(opts, (id) => this.backend.removeImage(id));
    // cache mounts (RUN --mount=type=cache) go with a prune that is not bounded by keep-storage
    let reclaimed = removed.reduce((n, e) => n + e.size, 0);
    if (opts.keepStorage === 0 && !opts.ids && opts.until === undefined) {
      const dir = path.join(this.backend.stateDir, 'cache-mounts');
      reclaimed += await dirBytes(dir);
      await fsp.rm(dir, { recursive: true, force: true });
    }
    return { CachesDeleted: removed.map((e) => e.id), SpaceReclaimed: reclaimed };
  }

  df(): BuildCacheRecord[] {
    return this.cache.list().map((e: CacheEntry) => ({
      ID: e.id, Parent: '', Parents: [], Type: 'regular', Description: e.description, InUse: false, Shared: false,
      Size: e.size, CreatedAt: e.createdAt, LastUsedAt: e.lastUsedAt, UsageCount: e.usageCount,
    }));
  }
}

/** BERTH_BUILD_TRACE=1: the time of each `Step` line and of the result, from the request's start. */
function traceSteps(t0: number): Emit | undefined {
  if (!process.env.BERTH_BUILD_TRACE) return undefined;
  return (o) => {
    const text = typeof o.stream === 'string' ? o.stream : o.aux ? 'aux' : '';
    if (/^(Step |Successfully|aux)/.test(text)) process.stderr.write(`build-trace +${Date.now() - t0}ms (at ${Date.now() % 100000}) ${text.split('\n')[0]}\n`);
  };
}

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await fsp.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else n += (await fsp.lstat(p).catch(() => ({ size: 0 }))).size;
    }
  };
  await walk(dir);
  return n;
}
