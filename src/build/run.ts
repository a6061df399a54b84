/**
 * One build, end to end: read the Dockerfile and .dockerignore from the unpacked context, plan the stage
 * graph, run the stages the target needs (independent ones at the same time), tag the result and write
 * the classic builder's messages. Intermediate containers are removed as Docker does (`rm` after each
 * successful step, `forcerm` also after a failure) and always when the build is cancelled.
 */
import { promises as fsp } from 'node:fs';
import type { HostConfig } from '../api/types.js';
import { BerthError, invalidArgument, isKind } from '../core/errors.js';
import { familiarString, parseNormalizedNamed, withDefaultTag } from '../core/reference.js';
import { goArch } from '../core/platform.js';
import { resolveInRoot } from '../volumes/copyup.js';
import type { BuildBackend, BuildImage } from './backend.js';
import type { BuildCache } from './cache.js';
import { cacheFromHit } from './cachefrom.js';
import { IgnoreMatcher, parseIgnoreFile } from '../core/dockerignore.js';
import type { ContextIndex } from './context/receive.js';
import { loadDockerfile, type Dockerfile } from './dockerfile/instructions.js';
import { isSyntaxError, parseLine, type Node } from './dockerfile/parser.js';
import { expandWord } from './dockerfile/shell.js';
import { planBuild, runGraph } from './graph.js';
import { short, type BuildOutput } from './output.js';
import { StageRun } from './stage.js';
import { BUILTIN_ARGS, StepError, type BuildOptions, type BuildScope } from './scope.js';
import { cleanSource } from './copy.js';
import type { ContainerConfig } from '../api/types.js';

export { BUILTIN_ARGS, StepError, type BuildOptions } from './scope.js';

export interface BuildDeps {
  backend: BuildBackend;
  cache: BuildCache;
  out: BuildOutput;
  contextDir: string;
  contextIndex?: ContextIndex;
  contextMemo?: Map<string, string>;
  tmpDir: string;
  signal: AbortSignal;
}

export class BuildRun implements BuildScope {
  readonly backend: BuildBackend;
  readonly cache: BuildCache;
  readonly out: BuildOutput;
  readonly contextDir: string;
  readonly contextIndex?: ContextIndex;
  readonly contextMemo?: Map<string, string>;
  readonly tmpDir: string;
  readonly signal: AbortSignal;
  df!: Dockerfile;
  ignore!: IgnoreMatcher;
  readonly metaArgs = new Map<string, string | undefined>();
  readonly consumed = new Set<string>();
  readonly stepNo = new Map<Node, number>();
  total = 0;
  readonly platform: { os: string; arch: string; variant?: string };
  private readonly results = new Map<number, BuildImage | undefined>();
  private readonly containers = new Set<string>();
  private readonly pulled = new Map<string, Promise<BuildImage>>();

  constructor(readonly opts: BuildOptions, d: BuildDeps) {
    this.backend = d.backend;
    this.cache = d.cache;
    this.out = d.out;
    this.contextDir = d.contextDir;
    this.contextIndex = d.contextIndex;
    this.contextMemo = d.contextMemo;
    this.tmpDir = d.tmpDir;
    this.signal = d.signal;
    const arch = goArch();
    this.platform = { os: 'linux', arch: arch === 'arm' ? 'arm' : arch, ...(arch === 'arm64' ? { variant: 'v8' } : {}) };
  }

  /** Reads the Dockerfile (a path in the context, or its text as docker-py may send it). */
  private async readDockerfile(): Promise<{ text: string; rel: string }> {
    const name = this.opts.dockerfile || 'Dockerfile';
    if (name.includes('\n')) return { text: name, rel: 'Dockerfile' };
    const rel = cleanSource(name, true);
    for (const candidate of rel === 'Dockerfile' ? ['Dockerfile', 'dockerfile'] : [rel]) {
      const host = await resolveInRoot(this.contextDir, candidate);
      const text = await fsp.readFile(host, 'utf8').catch(() => undefined);
      if (text !== undefined) {
        if (text.trim() === '') throw invalidArgument(`the Dockerfile (${name}) cannot be empty`);
        return { text, rel: candidate };
      }
    }
    throw invalidArgument(`Cannot locate specified Dockerfile: ${name}`);
  }

  private async readIgnore(dockerfileRel: string): Promise<IgnoreMatcher> {
    for (const f of [`${dockerfileRel}.dockerignore`, '.dockerignore']) {
      const text = await fsp.readFile(await resolveInRoot(this.contextDir, f), 'utf8').catch(() => undefined);
      if (text !== undefined) return new IgnoreMatcher(parseIgnoreFile(text));
    }
    return new IgnoreMatcher([]);
  }

  platformArgs(): [string, string][] {
    const p = this.platform;
    const plat = `${p.os}/${p.arch}${p.variant ? `/${p.variant}` : ''}`;
    return [
      ['TARGETPLATFORM', plat], ['TARGETOS', p.os], ['TARGETARCH', p.arch], ['TARGETVARIANT', p.variant ?? ''],
      ['BUILDPLATFORM', plat], ['BUILDOS', p.os], ['BUILDARCH', p.arch], ['BUILDVARIANT', p.variant ?? ''],
    ];
  }

  async execute(): Promise<string> {
    const refs = this.opts.tags.map((t) => withDefaultTag(parseNormalizedNamed(t)));
    if (this.opts.platform) {
      const want = this.opts.platform.toLowerCase().split('/');
      if (want[0] !== 'linux' || (want[1] && want[1] !== this.platform.arch)) {
        throw invalidArgument(`platform ${this.opts.platform} is not supported: this daemon builds for linux/${this.platform.arch}`);
      }
    }
    const { text, rel } = await this.readDockerfile();
    this.ignore = await this.readIgnore(rel);
    try {
      this.df = loadDockerfile(text);
    } catch (e) {
      // the parser's own errors name the file, as the classic builder writes them
      throw isSyntaxError(e) ? invalidArgument(`failed to parse ${this.opts.dockerfile.includes('\n') ? 'Dockerfile' : this.opts.dockerfile || 'Dockerfile'}: ${(e as Error).message}`) : e;
    }
    // the parser's warnings in one message, red as the classic builder's stderr
    if (this.df.parsed.warnings.length) this.out.stream(`\x1b[91m${this.df.parsed.warnings.join('\n')}\n\x1b[0m`);
    for (const [k, v] of this.platformArgs()) this.metaArgs.set(k, v);
    for (const a of this.df.metaArgs) {
      this.consumed.add(a.name);
      const given = this.opts.buildArgs[a.name];
      const def = a.value === undefined ? undefined : expandWord(a.value, (n) => this.metaArgs.get(n), this.df.escape);
      this.metaArgs.set(a.name, typeof given === 'string' ? given : def);
    }
    const plan = planBuild(this.df, this.opts.target, (s) => expandWord(s, (n) => this.metaArgs.get(n), this.df.escape));
    // --label: one LABEL step per label, in key order, at the end of the target stage, as the classic
    // builder adds them (`LABEL k=v`; the value is taken as it is, not substituted)
    const esc = this.df.escape;
    const literal = (v: string) => `'${v.split("'").join(`'${esc}''`)}'`;
    for (const [k, v] of Object.entries(this.opts.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const node: Node = { ...parseLine('LABEL x=y'), original: `LABEL ${k}=${v}` };
      plan.stages[plan.target]!.stage.steps.push({ node, ins: { kind: 'label', pairs: [{ key: literal(k), value: literal(v) }] } });
    }
    // the ARGs before the first FROM are steps of their own, with no image (as the classic builder counts them)
    const metaNodes = this.df.parsed.nodes.slice(0, this.df.parsed.nodes.findIndex((n) => n.instruction === 'from'));
    for (const n of metaNodes) this.stepNo.set(n, ++this.total);
    for (const i of plan.needed) {
      const st = plan.stages[i]!.stage;
      for (const n of [st.fromNode, ...st.steps.map((s) => s.node)]) this.stepNo.set(n, ++this.total);
    }
    for (const n of metaNodes) this.out.step(`Step ${this.stepNo.get(n)}/${this.total} : ${n.original}`);
    let failed = true;
    try {
      await runGraph(plan, async (sp) => {
        const r = await new StageRun(this, sp).execute();
        this.results.set(sp.stage.index, r);
        return r;
      });
      failed = false;
    } finally {
      if (this.signal.aborted || (failed && this.opts.forceRm)) await this.removeAll();
      // the steps' images to the disk in one sync, then their cache entries (those of a failed build's
      // finished steps too, as Docker keeps them)
      const keys = this.cache.uncommitted();
      if (keys.length) {
        // a sync that fails leaves the entries out of the index (they still serve this daemon's lookups)
        if (await this.backend.syncImages().then(() => true, () => false)) await this.cache.commit(keys);
      }
    }
    const result = this.results.get(plan.target);
    if (!result) throw invalidArgument('No image was generated. Is your Dockerfile empty?');
    // the image's ID first, then the warning for unused build args (the classic builder's order)
    this.out.aux({ ID: result.id });
    const unused = Object.keys(this.opts.buildArgs).filter((k) => !this.consumed.has(k) && !BUILTIN_ARGS.includes(k)).sort();
    if (unused.length) this.out.line(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed`);
    this.out.line(`Successfully built ${short(result.id)}`);
    for (const r of refs) {
      const name = familiarString(r);
      await this.backend.tag(result.id, name);
      this.out.line(`Successfully tagged ${name}`);
    }
    this.out.result(result.id);
    return result.id;
  }

  /** The result of a stage; its FROM waits for it (the graph orders the stages). */
  async stageResult(i: number): Promise<BuildImage | undefined> {
    if (!this.results.has(i)) throw invalidArgument(`stage ${i} has not been built`);
    return this.results.get(i);
  }

  /** An image by reference: local, or pulled when missing (always with `pull`). Once per build. */
  resolveImage(ref: string, platform: string | undefined): Promise<BuildImage> {
    let p = this.pulled.get(ref);
    if (!p) {
      p = (async () => {
        let local: BuildImage | undefined;
        try {
          local = this.backend.image(ref);
        } catch (e) {
          if (!isKind(e, 'NotFound')) throw e;
        }
        if (local && !this.opts.pull) return local;
        if (/^sha256:[a-f0-9]{64}$/.test(ref) || /^[a-f0-9]{12,64}$/.test(ref)) {
          if (local) return local;
          throw invalidArgument(`No such image: ${ref}`);
        }
        const named = withDefaultTag(parseNormalizedNamed(ref));
        const domain = named.domain;
        const auth = this.opts.registryAuth[domain] ?? this.opts.registryAuth[domain === 'docker.io' ? 'https://index.docker.io/v1/' : ''];
        try {
          await this.backend.pull(familiarString(named), {
            platform, signal: this.signal, auth: auth ? Buffer.from(JSON.stringify(auth)).toString('base64url') : undefined,
          }, (m) => this.out.progress(m));
        } catch (e) {
          if (local && this.opts.pull) return local; // --pull with an image that only exists here
          throw e;
        }
        return this.backend.image(familiarString(named));
      })();
      this.pulled.set(ref, p);
    }
    return p;
  }

  /** The HostConfig of a step's container. */
  hostConfig(network: string | undefined, mounts: NonNullable<HostConfig['Mounts']>, tmpfs: Record<string, string>): HostConfig {
    const r = this.opts.resources;
    return {
      NetworkMode: network && network !== 'default' ? network : 'default',
      ...(this.opts.extraHosts.length ? { ExtraHosts: this.opts.extraHosts } : {}),
      ...(this.opts.shmSize ? { ShmSize: this.opts.shmSize } : {}),
      ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined && v !== 0 && v !== '')),
      ...(mounts.length ? { Mounts: mounts } : {}),
      ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
    };
  }

  async cacheLookup(key: string, parent: string, createdBy: string, config: ContainerConfig): Promise<string | undefined> {
    if (!this.opts.cacheFrom.length) return (await this.cache.lookup(key, (id) => this.backend.hasImage(id)))?.image;
    // with --cache-from, a local hit counts only when it is one of the sources or one of their parents
    // (Docker's image cache for cache-from sources): no source that exists, no hit
    const hit = await this.cache.lookup(key, (id) => this.backend.hasImage(id), (id) => this.cacheFromAncestors().has(id));
    if (hit) return hit.image;
    const id = await cacheFromHit(this.backend, this.opts.cacheFrom, parent, createdBy, config);
    if (id) this.cache.add(key, { image: id, parent, description: createdBy, size: 0 });
    return id;
  }

  private ancestors: Set<string> | undefined;

  /** The --cache-from images and, through the build cache's records, the images they were built on. */
  private cacheFromAncestors(): Set<string> {
    if (this.ancestors) return this.ancestors;
    const parentOf = new Map(this.cache.list().map((e) => [e.image, e.parent]));
    const out = new Set<string>();
    for (const ref of this.opts.cacheFrom) {
      let id: string | undefined;
      try {
        id = this.backend.image(ref).id;
      } catch {
        continue; // Docker skips a source it cannot find
      }
      while (id && !out.has(id)) {
        out.add(id);
        id = parentOf.get(id);
      }
    }
    return (this.ancestors = out);
  }

  track(id: string): void {
    this.containers.add(id);
  }

  /** After a step: its container goes (with `rm`), as Docker reports it. */
  async finishContainer(id: string): Promise<void> {
    if (!id) return;
    if (this.opts.rm || this.opts.forceRm) {
      await this.backend.removeContainer(id);
      this.containers.delete(id);
      this.out.line(`Removing intermediate container ${short(id)}`);
    }
  }

  /** A helper container (COPY, --from reads): removed quietly. */
  async dropContainer(id: string): Promise<void> {
    await this.backend.removeContainer(id).catch(() => undefined);
    this.containers.delete(id);
  }

  private async removeAll(): Promise<void> {
    for (const id of [...this.containers]) {
      await this.backend.removeContainer(id).then(
        () => this.out.line(`Removing intermediate container ${short(id)}`),
        (e: unknown) => this.out.line(`Error removing intermediate container ${short(id)}: ${(e as Error).message}`),
      );
      this.containers.delete(id);
    }
  }

  /** Runs `fn` with an image's root file system at a host path (a container made and removed for it). */
  async withImageRoot<T>(imageId: string, fn: (root: string) => Promise<T>): Promise<T> {
    const id = await this.backend.createContainer({ Image: imageId, Cmd: ['#(nop)'], Entrypoint: [''], HostConfig: { NetworkMode: 'none' } });
    this.track(id);
    try {
      return await this.backend.withRootfs(id, fn);
    } finally {
      await this.dropContainer(id);
    }
  }
}

/** The message and code a failed build reports. */
export function failure(e: unknown): { message: string; code?: number } {
  if (e instanceof StepError) return { message: e.message, code: e.code };
  if (e instanceof BerthError) return { message: e.message };
  return { message: (e as Error)?.message ?? String(e) };
}

