/**
 * One build stage: FROM, then each instruction in turn, each a new image (the classic builder's model).
 * Config-only instructions make an image with an empty layer; RUN, COPY, ADD and WORKDIR go through a
 * container (see BuildBackend). Every step consults the cache first.
 */
import { promises as fsp } from 'node:fs';
import type { ContainerConfig, HealthConfig, ImageConfigBlob } from '../api/types.js';
import { invalidArgument } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { parseDuration } from '../core/duration.js';
import { parseSignal } from '../runtime/oci/signal.js';
import { childImageConfig, EMPTY_LAYER_DIFF_ID } from '../containers/fs/commit.js';
import type { BuildImage, LayerFile } from './backend.js';
import type { Instruction, Step } from './dockerfile/instructions.js';
import { toInstruction } from './dockerfile/instructions.js';
import { parseLine, type Node } from './dockerfile/parser.js';
import { expand, expandWord, expandWords, type Lookup } from './dockerfile/shell.js';
import type { StagePlan } from './graph.js';
import { stageRef } from './graph.js';
import { goQuoteList, short } from './output.js';
import { cacheKey } from './cache.js';
import { BUILTIN_ARGS, type BuildScope, type Commit, type StepStage } from './scope.js';
import { runCopy, runWorkdir } from './steps.js';
import { runRun } from './runstep.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';


export class StageRun implements StepStage {
  imageId: string | undefined;
  img!: ImageConfigBlob;
  cfg!: ContainerConfig;
  readonly args = new Map<string, string | undefined>();
  private cmdSet = false;
  /** running the base image's ONBUILD triggers (no ` ---> id` line per trigger) */
  private inTriggers = false;
  author: string | undefined;

  constructor(readonly run: BuildScope, readonly plan: StagePlan) {}

  get name(): string {
    return this.plan.stage.name ?? String(this.plan.stage.index);
  }

  /** Variables for substitution: ENV wins over ARG. */
  readonly lookup: Lookup = (name) => {
    for (const e of this.cfg.Env ?? []) {
      const eq = e.indexOf('=');
      if ((eq < 0 ? e : e.slice(0, eq)) === name) return eq < 0 ? '' : e.slice(eq + 1);
    }
    return this.args.get(name);
  };

  expand(s: string): string {
    const r = expand(s, this.lookup, this.run.df.escape);
    return r.value;
  }

  shell(): string[] {
    return this.cfg.Shell && this.cfg.Shell.length ? this.cfg.Shell : ['/bin/sh', '-c'];
  }

  private stepLine(node: Node): void {
    const n = this.run.stepNo.get(node);
    if (n !== undefined) this.run.out.step(`Step ${n}/${this.run.total} : ${node.original}`);
  }

  async execute(): Promise<BuildImage | undefined> {
    const { stage } = this.plan;
    this.stepLine(stage.fromNode);
    await this.from();
    const triggers = this.cfg.OnBuild ?? [];
    if (triggers.length) {
      // the triggers are part of the FROM step: their images' ids are not written, the FROM's last one is
      this.run.out.line(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}`);
      this.cfg = { ...this.cfg, OnBuild: null };
      this.inTriggers = true;
      try {
        for (const t of triggers) {
          const node = parseLine(t, stage.fromNode.startLine);
          await this.dispatch({ node, ins: toInstruction(node, this.run.df.escape) });
        }
      } finally {
        this.inTriggers = false;
      }
    }
    // FROM scratch too, with an empty id, as the classic builder writes it
    this.run.out.line(` ---> ${short(this.imageId ?? '')}`);
    for (const step of stage.steps) {
      this.run.signal.throwIfAborted();
      this.stepLine(step.node);
      await this.dispatch(step);
    }
    return this.imageId ? { id: this.imageId, config: this.img } : undefined;
  }

  private async from(): Promise<void> {
    const { plan, run } = this;
    if (plan.baseStage !== undefined) {
      const r = await run.stageResult(plan.baseStage);
      if (r) this.setImage(r.id, r.config);
      else this.setScratch();
    } else if (plan.base.toLowerCase() === 'scratch') {
      this.setScratch();
    } else {
      const img = await run.resolveImage(plan.base, plan.stage.from.platform ? this.expandMeta(plan.stage.from.platform) : undefined);
      this.setImage(img.id, img.config);
    }
    if (!(this.cfg.Env ?? []).some((e) => e.startsWith('PATH='))) this.cfg.Env = [...(this.cfg.Env ?? []), `PATH=${DEFAULT_PATH}`];
  }

  private expandMeta(s: string): string {
    return expandWord(s, (n) => this.run.metaArgs.get(n), this.run.df.escape);
  }

  private setImage(id: string, config: ImageConfigBlob): void {
    this.imageId = id;
    this.img = structuredClone(config);
    this.cfg = structuredClone(config.config ?? {});
    this.cmdSet = false;
  }

  private setScratch(): void {
    this.imageId = undefined;
    const p = this.run.platform;
    this.img = { architecture: p.arch, os: p.os, ...(p.variant ? { variant: p.variant } : {}), rootfs: { type: 'layers', diff_ids: [] }, history: [], config: {} };
    this.cfg = { Env: [] };
  }

  /** The step's new image: from the cache, or made now. */
  async commit(c: Commit): Promise<void> {
    const run = this.run;
    const config: ContainerConfig = { ...this.cfg, Image: this.imageId ?? '' };
    const containerConfig: ContainerConfig = { ...config, Cmd: c.cmd };
    const key = cacheKey({ parent: this.imageId ?? '', createdBy: c.keyCmd ?? c.cmd.join(' '), config, contentHash: c.contentHash });
    if (!run.opts.noCache) {
      const hit = await run.cacheLookup(key, this.imageId ?? '', c.cmd.join(' '), config);
      if (hit) {
        run.out.line(' ---> Using cache');
        const img = run.backend.image(hit);
        this.setImageKeepState(hit, img.config);
        if (!this.inTriggers) run.out.line(` ---> ${short(hit)}`);
        return;
      }
    }
    let layer: LayerFile = { diffID: EMPTY_LAYER_DIFF_ID, file: '', nonEmpty: false };
    let containerId = '';
    let cmd = c.cmd;
    if (c.work) ({ layer, containerId, cmd = c.cmd } = await c.work());
    else if (c.probe && this.imageId) {
      containerId = newId();
      run.out.line(` ---> Running in ${short(containerId)}`);
    }
    containerConfig.Cmd = cmd;
    try {
      const child = childImageConfig(this.img, {
        config, containerConfig, containerId, author: this.author, diffID: layer.nonEmpty ? layer.diffID : EMPTY_LAYER_DIFF_ID, created: new Date().toISOString(),
      });
      const id = await run.backend.createImage(child, layer.nonEmpty ? layer : undefined, this.imageId);
      const size = layer.nonEmpty ? await run.backend.layerSize(layer.diffID).catch(() => 0) : 0;
      run.cache.add(key, { image: id, parent: this.imageId ?? '', description: cmd.join(' '), size });
      this.setImageKeepState(id, child);
    } finally {
      layer.release?.();
      if (layer.file) await fsp.rm(layer.file, { force: true });
    }
    if (c.work) await run.finishContainer(containerId);
    else if (containerId && (run.opts.rm || run.opts.forceRm)) run.out.line(`Removing intermediate container ${short(containerId)}`);
    if (!this.inTriggers) run.out.line(` ---> ${short(this.imageId!)}`);
  }

  private setImageKeepState(id: string, config: ImageConfigBlob): void {
    this.imageId = id;
    this.img = structuredClone(config);
    this.cfg = structuredClone(config.config ?? {});
  }

  /** A config-only step: `#(nop)` in history. */
  private nop(comment: string): Promise<void> {
    return this.commit({ cmd: [...this.shell(), '#(nop) ', comment], probe: true });
  }

  async dispatch(step: Step): Promise<void> {
    const ins: Instruction = step.ins;
    const node = step.node;
    const esc = this.run.df.escape;
    switch (ins.kind) {
      case 'env': {
        const env = [...(this.cfg.Env ?? [])];
        const parts: string[] = [];
        for (const p of ins.pairs) {
          const key = this.expand(p.key);
          const value = expandWord(p.value, this.lookupWith(env), esc);
          const i = env.findIndex((e) => e.split('=', 1)[0] === key);
          if (i >= 0) env[i] = `${key}=${value}`;
          else env.push(`${key}=${value}`);
          parts.push(`${key}=${value}`);
        }
        this.cfg.Env = env;
        return this.nop(`ENV ${parts.join(' ')}`);
      }
      case 'label': {
        const labels = { ...(this.cfg.Labels ?? {}) };
        const parts: string[] = [];
        for (const p of ins.pairs) {
          const key = this.expand(p.key);
          const value = this.expand(p.value);
          labels[key] = value;
          parts.push(`${key}=${value}`);
        }
        this.cfg.Labels = labels;
        return this.nop(`LABEL ${parts.join(' ')}`);
      }
      case 'arg': {
        const parts: string[] = [];
        for (const a of ins.args) {
          let value = a.value === undefined ? undefined : this.expand(a.value);
          const given = this.run.opts.buildArgs[a.name];
          this.run.consumed.add(a.name);
          if (a.value === undefined && this.run.metaArgs.has(a.name)) value = this.run.metaArgs.get(a.name);
          if (given !== undefined && given !== null) value = given;
          this.args.set(a.name, value);
          parts.push(a.value === undefined ? a.name : `${a.name}=${this.expand(a.value)}`);
        }
        return this.nop(`ARG ${parts.join(' ')}`);
      }
      case 'maintainer':
        // taken as written: the classic builder substitutes no variables in MAINTAINER
        this.author = ins.value;
        return this.nop(`MAINTAINER ${this.author}`);
      case 'expose': {
        const ports: string[] = [];
        // the words sorted as written, before substitution (the classic builder's parseExpose)
        for (const v of [...ins.values].sort()) ports.push(...expandWords(v, this.lookup, esc));
        const exposed = { ...(this.cfg.ExposedPorts ?? {}) };
        for (const p of ports) {
          const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
          if (!m) throw invalidArgument(`invalid containerPort: ${p}`);
          const end = m[2] ? Number(m[2]) : Number(m[1]);
          for (let n = Number(m[1]); n <= end; n++) exposed[`${n}/${(m[3] ?? 'tcp').toLowerCase()}`] = {};
        }
        this.cfg.ExposedPorts = exposed;
        return this.nop(`EXPOSE ${ports.join(' ')}`);
      }
      case 'volume': {
        const vols = node.json ? ins.values.map((v) => this.expand(v)) : ins.values.flatMap((v) => expandWords(v, this.lookup, esc));
        if (vols.some((v) => v.trim() === '')) throw invalidArgument('VOLUME specified can not be an empty string');
        this.cfg.Volumes = { ...(this.cfg.Volumes ?? {}), ...Object.fromEntries(vols.map((v) => [v, {}])) };
        return this.nop(`VOLUME [${vols.join(' ')}]`);
      }
      case 'user':
        this.cfg.User = this.expand(ins.value);
        return this.nop(`USER ${this.cfg.User}`);
      case 'stopsignal': {
        const sig = this.expand(ins.value);
        try {
          parseSignal(sig);
        } catch {
          throw invalidArgument(`Invalid signal: ${sig}`);
        }
        this.cfg.StopSignal = sig;
        return this.nop(`STOPSIGNAL ${sig}`);
      }
      case 'workdir':
        return runWorkdir(this, this.expand(ins.value));
      case 'cmd': {
        const cmd = 'json' in ins.form ? ins.form.json : [...this.shell(), ins.form.shell];
        this.cfg.Cmd = cmd;
        this.cfg.ArgsEscaped = undefined;
        this.cmdSet = true;
        return this.nop(`CMD ${goQuoteList(cmd)}`);
      }
      case 'entrypoint': {
        const ep = 'json' in ins.form ? ins.form.json : ins.form.shell.trim() === '' ? [] : [...this.shell(), ins.form.shell];
        this.cfg.Entrypoint = ep.length ? ep : null;
        if (!this.cmdSet) this.cfg.Cmd = null;
        return this.nop(`ENTRYPOINT ${goQuoteList(ep)}`);
      }
      case 'shell':
        this.cfg.Shell = ins.args;
        return this.nop(`SHELL [${ins.args.join(' ')}]`);
      case 'healthcheck': {
        if (ins.none) {
          this.cfg.Healthcheck = { Test: ['NONE'] };
        } else {
          const hc: HealthConfig = { Test: 'json' in ins.form ? ['CMD', ...ins.form.json] : ['CMD-SHELL', ins.form.shell] };
          const dur = (v: string | undefined, flag: string) => {
            if (v === undefined) return undefined;
            const ns = parseDuration(v);
            if (ns !== 0 && ns < 1e6) throw invalidArgument(`Interval "${flag}" cannot be less than 1ms`);
            if (ns < 0) throw invalidArgument(`Interval "${flag}" cannot be negative`);
            return ns;
          };
          const set = (k: 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval', v: number | undefined) => { if (v) hc[k] = v; };
          set('Interval', dur(ins.interval, 'interval'));
          set('Timeout', dur(ins.timeout, 'timeout'));
          set('StartPeriod', dur(ins.startPeriod, 'start-period'));
          set('StartInterval', dur(ins.startInterval, 'start-interval'));
          if (ins.retries !== undefined) {
            const r = Number.parseInt(ins.retries, 10);
            if (!Number.isFinite(r) || r < 0) throw invalidArgument('--retries cannot be negative');
            if (r) hc.Retries = r;
          }
          this.cfg.Healthcheck = hc;
        }
        return this.nop(`HEALTHCHECK ${healthText(this.cfg.Healthcheck)}`);
      }
      case 'onbuild': {
        // kept as written (the classic builder does not change the instruction word's case)
        const trigger = ins.expression;
        this.cfg.OnBuild = [...(this.cfg.OnBuild ?? []), trigger];
        return this.nop(`ONBUILD ${trigger}`);
      }
      case 'run':
        return runRun(this, ins, node);
      case 'copy':
      case 'add':
        return runCopy(this, ins);
      case 'from':
        throw invalidArgument('unexpected FROM');
    }
  }

  /** Lookup while an ENV line is being applied (later pairs see the earlier ones). */
  private lookupWith(env: string[]): Lookup {
    return (name) => {
      for (const e of env) if (e.split('=', 1)[0] === name) return e.slice(name.length + 1);
      return this.args.get(name);
    };
  }

  /** The image or stage a `--from` names, resolved. */
  async fromSource(ref: string): Promise<BuildImage | undefined> {
    const r = this.expand(ref);
    const i = stageRef(this.run.df, r, this.plan.stage.index);
    if (i !== undefined) return this.run.stageResult(i);
    return this.run.resolveImage(r, undefined);
  }

  /** The build args a RUN sees: declared ones with a value that ENV does not shadow, and given proxy args. */
  buildEnv(): { env: string[]; recorded: string[] } {
    const env: string[] = [];
    const recorded: string[] = [];
    const envNames = new Set((this.cfg.Env ?? []).map((e) => e.split('=', 1)[0]));
    for (const [k, v] of this.args) {
      if (v === undefined || envNames.has(k)) continue;
      env.push(`${k}=${v}`);
      recorded.push(`${k}=${v}`);
    }
    for (const k of BUILTIN_ARGS) {
      const v = this.run.opts.buildArgs[k];
      if (typeof v === 'string' && !this.args.has(k) && !envNames.has(k)) env.push(`${k}=${v}`);
    }
    return { env, recorded: recorded.sort() };
  }
}

/** Go's %q of a HealthConfig pointer, as Docker writes HEALTHCHECK in history. */
function healthText(h: HealthConfig | undefined): string {
  const d = (ns: number | undefined) => {
    const v = ns ?? 0;
    if (v === 0) return '"0s"';
    const s = v / 1e9;
    const m = Math.floor(s / 60);
    const hh = Math.floor(m / 60);
    return `"${hh ? `${hh}h` : ''}${hh || m ? `${m % 60}m` : ''}${+(s % 60).toFixed(9)}s"`;
  };
  const r = h?.Retries ?? 0;
  return `&{${goQuoteList(h?.Test ?? [])} ${d(h?.Interval)} ${d(h?.Timeout)} ${d(h?.StartPeriod)} ${d(h?.StartInterval)} '\\x${r.toString(16).padStart(2, '0')}'}`;
}

