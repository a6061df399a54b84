/**
 * Builder: the build subsystem's front door (POST /build, POST /build/prune, the BuildCache of
 * /system/df). A build unpacks its context into a private directory as it arrives, runs (run.ts), and
 * removes its scratch directory whatever happens; the cache is then trimmed to
 * builder.gc.defaultKeepStorage.
 *
 * The context directory of a finished build is kept (with its index, in memory) for the next build,
 * which receives into it and writes only the files that changed: a rebuild of the same context writes
 * nothing. Two are kept at most (builds running at the same time take one each); a daemon start clears
 * them, as the index does not outlive the process.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { newId } from '../core/ids.js';
import type { BuildBackend } from './backend.js';
import { BuildCache, type CacheEntry, type PruneOptions } from './cache.js';
import { receiveContext, type ContextIndex } from './context/receive.js';
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

export class Builder {
  private readonly spare: { dir: string; index: ContextIndex }[] = [];

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
    const dir = path.join(this.backend.stateDir, 'tmp', newId().slice(0, 16));
    const tmpDir = path.join(dir, 'tmp');
    await fsp.mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const ctx = this.spare.pop() ?? { dir: path.join(this.backend.stateDir, 'tmp', `context-${newId().slice(0, 16)}`), index: new Map() };
    let received: ContextIndex | undefined;
    await fsp.mkdir(ctx.dir, { recursive: true, mode: 0o700 });
    const t0 = Date.now();
    const out = new BuildOutput(emit, opts.quiet, traceSteps(t0));
    try {
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
      const got = await receiveContext(input, ctx.dir, signal, ctx.index);
      received = got.index;
      if (process.env.BERTH_BUILD_TRACE) process.stderr.write(`build-trace context ${Date.now() - t0}ms ${got.files} files, ${got.written} written\n`);
      const run = new BuildRun(opts, { backend: this.backend, cache: this.cache, out, contextDir: ctx.dir, contextIndex: received, tmpDir, signal });
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
      if (received && received.size <= SPARE_MAX_ENTRIES && this.spare.length < SPARE_CONTEXTS) this.spare.push({ dir: ctx.dir, index: received });
      else await fsp.rm(ctx.dir, { recursive: true, force: true }).catch(() => undefined);
      if (this.o.gcEnabled && this.o.keepStorage > 0 && this.cache.totalSize() > this.o.keepStorage) {
        await this.prune({ all: false, keepStorage: this.o.keepStorage }).catch(() => undefined);
      }
      if (process.env.BERTH_BUILD_TRACE) process.stderr.write(`build-trace +${Date.now() - t0}ms end (started at ${t0})\n`);
    }
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
