/**
 * RuntimeSet: the daemon's runtimes behind one Runtime. Each container runs on the runtime its record
 * names (HostConfig.Runtime, fixed at create); every call for it goes there. All runtimes run under conmon
 * with one exit dir, so exits, attach, resize and log reopening are the same whichever runtime a container
 * uses. A container whose runtime is no longer configured is still found for kill, delete and state by
 * asking each runtime whether it holds state for it.
 */
import { invalidArgument } from '../core/errors.js';
import type { OciSpec } from './oci/types.js';
import type {
  AttachConnection, CreateOptions, ExecOptions, ExecSession, Runtime, RuntimeState,
} from './runtime.js';

/** What a new container asks of its runtime beyond the ordinary, known at create. */
export interface RuntimeNeeds {
  /** a bind with shared or rshared propagation */
  sharedPropagation?: boolean;
}

export interface RuntimeEntry {
  runtime: Runtime;
  /** why this runtime cannot give a container what it needs here, or undefined when it can */
  refuses?(needs: RuntimeNeeds): string | undefined;
  /** changes a spec for this runtime before it is written (crun: the precompiled seccomp filter); throws InvalidArgument for what it cannot run */
  adaptSpec?(spec: OciSpec): Promise<void>;
}

export class RuntimeSet implements Runtime {
  /**
   * `runtimeOf(id)` names the runtime of a container (its record's HostConfig.Runtime), undefined when it
   * has no record; `legacy` is the runtime of records made before runtimes could be chosen.
   */
  constructor(
    private readonly entries: ReadonlyMap<string, RuntimeEntry>,
    readonly defaultName: string,
    private readonly runtimeOf: (id: string) => string | undefined,
    private readonly legacy = 'runc',
  ) {
    if (!entries.has(defaultName)) throw new Error(`runtime set: no runtime ${defaultName}`);
  }

  get names(): string[] { return [...this.entries.keys()]; }

  /**
   * The runtime a new container gets: the one asked for (Docker's error for an unknown one), else the
   * default, else, when the default cannot give the container what it needs on this host (crun without
   * the cgroup2 mount cannot propagate shared binds back to the host), the first runtime that can, runc
   * first. A runtime asked for by name is never replaced: its refusal comes at start.
   */
  pick(requested: string | undefined, needs: RuntimeNeeds = {}): string {
    if (requested) {
      if (!this.entries.has(requested)) throw invalidArgument(`Unknown runtime specified ${requested}`);
      return requested;
    }
    if (!this.entries.get(this.defaultName)!.refuses?.(needs)) return this.defaultName;
    const others = [...this.entries.keys()].filter((n) => n !== this.defaultName).sort((a, b) => Number(b === 'runc') - Number(a === 'runc'));
    return others.find((n) => !this.entries.get(n)!.refuses?.(needs)) ?? this.defaultName;
  }

  async adaptSpec(name: string | undefined, spec: OciSpec): Promise<void> {
    const e = this.entries.get(name || this.legacy);
    if (!e) throw invalidArgument(`Unknown runtime specified ${name}`);
    await e.adaptSpec?.(spec);
  }

  private named(id: string): Runtime | undefined {
    const name = this.runtimeOf(id);
    return this.entries.get(name === undefined ? '' : name || this.legacy)?.runtime;
  }

  /** The container's runtime by its record, or whichever holds state for it. */
  private async locate(id: string): Promise<Runtime | undefined> {
    const r = this.named(id);
    if (r) return r;
    for (const e of this.entries.values()) if (await e.runtime.state(id).catch(() => undefined)) return e.runtime;
    return undefined;
  }

  private async must(id: string): Promise<Runtime> {
    const r = await this.locate(id);
    if (!r) throw new Error(`container "${id}" does not exist`);
    return r;
  }

  private get any(): Runtime {
    return this.entries.get(this.defaultName)!.runtime;
  }

  async create(o: CreateOptions): Promise<number> {
    const name = this.runtimeOf(o.id);
    const e = this.entries.get(name || this.legacy);
    if (!e) throw invalidArgument(`Unknown runtime specified ${name}`);
    return e.runtime.create(o);
  }

  async start(id: string): Promise<void> { return (await this.must(id)).start(id); }
  async kill(id: string, signal: number, all?: boolean): Promise<void> { return (await this.must(id)).kill(id, signal, all); }
  async pause(id: string): Promise<void> { return (await this.must(id)).pause(id); }
  async resume(id: string): Promise<void> { return (await this.must(id)).resume(id); }
  async update(id: string, flags: string[]): Promise<void> { return (await this.must(id)).update(id, flags); }
  async exec(o: ExecOptions): Promise<ExecSession> { return (await this.must(o.containerId)).exec(o); }
  async processes(id: string): Promise<number[]> { return (await this.must(id)).processes(id); }

  async delete(id: string, opts?: { background?: boolean }): Promise<void> {
    const r = this.named(id);
    if (r) return r.delete(id, opts);
    // no record (a leftover): whichever runtime holds state for it; each checks cheaply
    await Promise.all([...this.entries.values()].map((e) => e.runtime.delete(id, opts)));
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    return (await this.locate(id))?.state(id);
  }

  async list(): Promise<Map<string, RuntimeState>> {
    const out = new Map<string, RuntimeState>();
    for (const e of this.entries.values()) for (const [id, s] of await e.runtime.list().catch(() => new Map<string, RuntimeState>())) out.set(id, s);
    return out;
  }

  takeExit(id: string): Promise<number | undefined> { return this.any.takeExit(id); }
  pendingExits(): Promise<string[]> { return this.any.pendingExits(); }
  watchExits(onExit: (id: string) => void): void { this.any.watchExits(onExit); }
  monitorAlive(id: string, bundle: string): Promise<boolean | undefined> { return this.any.monitorAlive(id, bundle); }
  recordExit(id: string, code: number): Promise<void> { return this.any.recordExit(id, code); }
  attach(socketPath: string): Promise<AttachConnection> { return this.any.attach(socketPath); }
  resize(dir: string, height: number, width: number): Promise<void> { return this.any.resize(dir, height, width); }
  reopenLog(bundle: string): Promise<void> { return this.any.reopenLog(bundle); }
  close(): void { for (const e of this.entries.values()) e.runtime.close(); }
}
