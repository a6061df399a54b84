/**
 * Wiring of the image builder (src/build): its BuildBackend over the container service, ContainerFs and
 * the image store, and the BuildApi the routes use. The builder module is loaded on the first build,
 * prune or df that needs it.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { BuildBackend } from '../build/backend.js';
import type { Builder } from '../build/builder.js';
import type { ContainerService } from '../containers/service.js';
import type { ContainerFs } from '../containers/fs/index.js';
import { commitTarget } from '../containers/fs/images.js';
import { EMPTY_LAYER_DIFF_ID } from '../containers/fs/commit.js';
import { isKind } from '../core/errors.js';
import { run } from '../host/index.js';
import type { EventBus } from '../core/events.js';
import { familiarName, parseNormalizedNamed } from '../core/reference.js';
import { ramInBytes } from '../core/units.js';
import type { ContainerStore } from '../containers/store.js';
import type { BuildApi } from '../server/routes/build.js';
import { collectWhenIdle } from './idlegc.js';
import type { openImages } from './images.js';

type Images = Awaited<ReturnType<typeof openImages>>;

/** The label of the builder's step containers: those a killed daemon left are removed at the next start. */
export const BUILD_LABEL = 'com.github.berth.build-step';

export interface BuilderWiring {
  dataRoot: string;
  store: ContainerStore;
  containers: ContainerService;
  fs: () => Promise<ContainerFs>;
  images: Images;
  events: EventBus;
  /** daemon.json `builder` */
  config: unknown;
  /** userns-remap is on */
  idMapped: boolean;
}

/** builder.gc from daemon.json: `{"gc": {"enabled": true, "defaultKeepStorage": "20GB"}}`. */
export function builderGc(raw: unknown): { gcEnabled: boolean; keepStorage: number } {
  const gc = (raw as { gc?: { enabled?: boolean; defaultKeepStorage?: string | number } } | undefined)?.gc;
  if (!gc) return { gcEnabled: false, keepStorage: 0 };
  const ks = gc.defaultKeepStorage;
  const keepStorage = typeof ks === 'number' ? ks : typeof ks === 'string' && ks !== '' ? ramInBytes(ks) : 0;
  return { gcEnabled: gc.enabled !== false && keepStorage > 0, keepStorage };
}

function backend(w: BuilderWiring): BuildBackend {
  const { images, containers } = w;
  const target = commitTarget(images.store);
  const stateDir = path.join(w.dataRoot, 'builder');
  return {
    stateDir,
    directWrites: !w.idMapped,
    image(ref) {
      const r = images.store.resolve(ref);
      return { id: r.id, config: r.config };
    },
    hasImage(id) {
      try {
        images.store.resolve(id);
        return true;
      } catch {
        return false;
      }
    },
    pull: (ref, o, progress) => images.pull(ref, { platform: o.platform, auth: o.auth, signal: o.signal ?? new AbortController().signal }, (m) => progress(m as Record<string, unknown>)),
    createImage: (config, layer, parent) => target.createChild(layer ?? { diffID: EMPTY_LAYER_DIFF_ID, file: '' }, config, parent ?? '', false),
    // one syncfs(2) of the file system holding the image store (layers included)
    syncImages: async () => void (await run('sync', ['-f', images.store.root])),
    async tag(id, ref) {
      const named = parseNormalizedNamed(ref);
      await images.tag(id, familiarName(named), named.tag ?? 'latest');
    },
    async removeImage(id) {
      let rec;
      try {
        rec = images.store.resolve(id);
      } catch {
        return true;
      }
      if (rec.repoTags.length || rec.repoDigests.length) return false;
      if (w.store.all().some((c) => c.image === rec.id)) return false;
      await images.store.remove(rec.id, { force: false, prune: false });
      await images.store.prune().catch(() => undefined);
      return true;
    },
    layerSize: (d) => images.snapshotter.layerSize(d),
    async createContainer(body) {
      const { Id } = await containers.create(undefined, { ...body, Labels: { ...(body.Labels ?? {}), [BUILD_LABEL]: '1' } });
      return Id;
    },
    async runContainer(id, output, signal) {
      const exited = containers.wait(id, 'next-exit');
      let closed!: () => void;
      const streamDone = new Promise<void>((resolve) => { closed = resolve; });
      await containers.attach(id, { stdin: false, stdout: true, stderr: true }, {
        output: (s, data) => output(data, s),
        close: () => closed(),
      });
      const stop = () => void containers.kill(id, 9).catch(() => undefined);
      signal.throwIfAborted(); // cancelled while the container was made: it never starts
      signal.addEventListener('abort', stop, { once: true });
      const t0 = Date.now();
      const trace = (what: string) => { if (process.env.BERTH_BUILD_TRACE) process.stderr.write(`build-trace   ${what} +${Date.now() - t0}ms\n`); };
      try {
        await containers.start(id);
        trace('started');
        if (signal.aborted) stop();
        const r = await exited;
        trace('exited');
        // the output may trail the exit a little; never wait long for it
        await Promise.race([streamDone, new Promise((resolve) => setTimeout(resolve, 2000))]);
        trace('stream closed');
        return r.StatusCode;
      } finally {
        signal.removeEventListener('abort', stop);
      }
    },
    async copyInto(id, tar) {
      const fs = await w.fs();
      await fs.extract(id, '/', tar, { noOverwriteDirNonDir: false, copyUIDGID: false });
    },
    async statPath(id, p) {
      const fs = await w.fs();
      const dir = p === '/' ? '/' : `${p.replace(/\/+$/, '')}/`;
      try {
        await fs.stat(id, dir);
        return { isDir: true };
      } catch (e) {
        if (isKind(e, 'NotFound')) return undefined;
        if (isKind(e, 'InvalidArgument')) return { isDir: false };
        throw e;
      }
    },
    async ingestLayer(tar) {
      const { diffID, release } = await images.store.ingestLayerStream(tar, { sync: false });
      return { diffID, file: '', nonEmpty: diffID !== EMPTY_LAYER_DIFF_ID, release };
    },
    async diffLayer(id) {
      const fs = await w.fs();
      // packed, stored and unpacked in one pass; flushed to the disk by syncImages at the build's end
      const { diffID, release } = await fs.diffLayerTo(id, (tar) => images.store.ingestLayerStream(tar, { sync: false }));
      return { diffID, file: '', nonEmpty: diffID !== EMPTY_LAYER_DIFF_ID, release };
    },
    async removeContainer(id) {
      await containers.remove(id, { force: true, volumes: true }).catch((e: unknown) => {
        if (!isKind(e, 'NotFound')) throw e;
      });
    },
    withRootfs: (id, fn) => containers.withRootfs(id, (_rec, root) => fn(root)),
  };
}

/** BERTH_BUILD_TRACE=1: each backend call's duration on stderr (where a build spends its time). */
function traced(b: BuildBackend): BuildBackend {
  if (!process.env.BERTH_BUILD_TRACE) return b;
  const out = { ...b } as Record<string, unknown>;
  for (const [k, v] of Object.entries(b)) {
    if (typeof v !== 'function') continue;
    // sync calls stay sync (the builder uses image() and hasImage() without await)
    out[k] = (...args: unknown[]) => {
      const t = Date.now();
      const done = () => process.stderr.write(`build-trace ${k} ${Date.now() - t}ms (at ${t % 100000})\n`);
      const r = (v as (...a: unknown[]) => unknown).apply(b, args);
      if (r instanceof Promise) return r.finally(done);
      done();
      return r;
    };
  }
  return out as unknown as BuildBackend;
}

/**
 * What builds a killed daemon was running left behind: their step containers (nothing will ever finish
 * them) and, when a build's scratch directory shows one was cut short (the builder removes it when a
 * build ends), the layers it stored for images it never made. Those are the layers and blobs no image
 * lists and no container stands on, which the image store's prune removes (nothing else has started
 * using the store yet: builds wait for this, and pulls hold their layers).
 */
async function sweepInterrupted(w: BuilderWiring): Promise<void> {
  for (const c of w.store.all().filter((r) => r.config.Labels?.[BUILD_LABEL] === '1')) {
    await w.containers.remove(c.id, { force: true, volumes: true }).catch(() => undefined);
  }
  const tmp = path.join(w.dataRoot, 'builder', 'tmp');
  const cut = (await fsp.readdir(tmp).catch(() => [] as string[])).filter((n) => !n.startsWith('context-'));
  if (!cut.length) return;
  const removed = await w.images.store.prune();
  if (process.env.BERTH_BUILD_TRACE) process.stderr.write(`build-trace start sweep: ${removed.length} layers\n`);
  for (const n of cut) await fsp.rm(path.join(tmp, n), { recursive: true, force: true });
}

export function openBuilder(w: BuilderWiring): { api: BuildApi; buildCache(): Promise<unknown[]> } {
  let builder: Promise<Builder> | undefined;
  const swept = sweepInterrupted(w).catch(() => undefined);
  // builds start once the sweep is done: it never sees a layer a new build has just stored
  const get = () => (builder ??= swept.then(() => import('../build/builder.js')).then(({ Builder }) => Builder.open(traced(backend(w)), builderGc(w.config))));
  const api: BuildApi = {
    async build(body, req, emit, signal) {
      try {
        return await (await get()).build(body, req, emit, signal);
      } finally {
        collectWhenIdle();
      }
    },
    async prune(opts) {
      const out = await (await get()).prune(opts);
      w.events.publish('builder', 'prune', '', { reclaimed: String(out.SpaceReclaimed) });
      return out;
    },
    checkTag(tag) {
      parseNormalizedNamed(tag); // Docker's "invalid reference format" errors
    },
    async keptContext(key) {
      return (await get()).keptContext(key);
    },
  };
  return { api, buildCache: async () => (await get()).df() };
}
