/**
 * Test support: a Runtime with no kernel and no processes behind it, for unit tests of what drives a
 * Runtime (ContainerService, ExecService). It keeps the lifecycle of runtime.ts strictly (a start of a
 * container that was not created, or a delete of a running one, throws as runc would), records every call,
 * and lets the test play the container's side: `exit(id, code)` ends the process as conmon would report it,
 * `failNext(op, message)` makes the next call of an operation fail.
 */
import { EventEmitter } from 'node:events';
import type {
  AttachConnection, CreateOptions, ExecOptions, ExecSession, OutputStream, Runtime, RuntimeState,
} from './runtime.js';

type Op = 'create' | 'start' | 'kill' | 'pause' | 'resume' | 'update' | 'delete' | 'exec' | 'attach';

interface FakeContainer {
  pid: number;
  status: 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
  signals: number[];
  resources: string[][];
}

/** The test's end of an attach connection: what it writes reaches the client, what the client writes is in `input`. */
export class FakeAttach extends EventEmitter implements AttachConnection {
  readonly input: Buffer[] = [];
  inputEnded = false;
  closed = false;

  write(data: Buffer): void { if (!this.closed) this.input.push(Buffer.from(data)); }
  endInput(): void { this.inputEnded = true; }
  close(): void { this.closed = true; }
  /** output from the container */
  output(stream: OutputStream, text: string | Buffer): void { this.emit('data', stream, Buffer.from(text)); }
  /** the container's stdio is gone */
  end(): void { if (!this.closed) { this.closed = true; this.emit('end'); } }
}

export class FakeRuntime implements Runtime {
  /** every call, as `op id [detail]`, in order */
  readonly calls: string[] = [];
  readonly containers = new Map<string, FakeContainer>();
  /** attach connections by socket path, newest last */
  readonly attachments = new Map<string, FakeAttach[]>();
  /** exec sessions by exec id: the test ends one with `finish(code)` */
  readonly execs = new Map<string, { options: ExecOptions; released: boolean; finish(code: number): void }>();
  private readonly exits = new Map<string, number>();
  private readonly failures = new Map<Op, string>();
  private readonly watchers: ((id: string) => void)[] = [];
  private nextPid = 1000;

  /** the next call of `op` throws an Error with `message` (runc's text, say) and changes nothing */
  failNext(op: Op, message: string): void { this.failures.set(op, message); }

  /** the container's init ends with `code`: it is stopped, and the exit is recorded and announced */
  exit(id: string, code: number): void {
    const c = this.must(id);
    if (c.status === 'stopped') throw new Error(`fake runtime: ${id} already stopped`);
    c.status = 'stopped';
    this.exits.set(id, code);
    for (const w of this.watchers) w(id);
  }

  private check(op: Op, id: string, detail = ''): void {
    this.calls.push(`${op} ${id}${detail ? ` ${detail}` : ''}`);
    const f = this.failures.get(op);
    if (f !== undefined) { this.failures.delete(op); throw new Error(f); }
  }

  private must(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new Error(`container "${id}" does not exist`);
    return c;
  }

  async create(o: CreateOptions): Promise<number> {
    this.check('create', o.id);
    if (this.containers.has(o.id)) throw new Error(`container with id exists: ${o.id}`);
    this.exits.delete(o.id);
    const pid = this.nextPid++;
    this.containers.set(o.id, { pid, status: 'created', bundle: o.bundle, signals: [], resources: [] });
    return pid;
  }

  async start(id: string): Promise<void> {
    this.check('start', id);
    const c = this.must(id);
    if (c.status !== 'created') throw new Error(`cannot start a container that has stopped`);
    c.status = 'running';
  }

  async kill(id: string, signal: number, all = false): Promise<void> {
    this.check('kill', id, `${signal}${all ? ' all' : ''}`);
    const c = this.must(id);
    if (c.status === 'stopped' && !all) throw new Error('container not running');
    c.signals.push(signal);
  }

  async pause(id: string): Promise<void> {
    this.check('pause', id);
    const c = this.must(id);
    if (c.status !== 'running') throw new Error(`container not running`);
    c.status = 'paused';
  }

  async resume(id: string): Promise<void> {
    this.check('resume', id);
    const c = this.must(id);
    if (c.status !== 'paused') throw new Error(`container not paused`);
    c.status = 'running';
  }

  async update(id: string, flags: string[]): Promise<void> {
    this.check('update', id, flags.join(' '));
    const c = this.must(id);
    if (c.status === 'stopped') throw new Error('container not running');
    c.resources.push([...flags]);
  }

  /** deletes at once, also with `background` (the test sees the state gone either way) */
  async delete(id: string, _opts?: { background?: boolean }): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return; // no state: nothing to do, as the conmon runtime
    this.check('delete', id);
    // `delete --force`: a live container is killed first
    c.status = 'stopped';
    this.containers.delete(id);
  }

  async exec(o: ExecOptions): Promise<ExecSession> {
    this.check('exec', o.containerId, o.execId);
    const c = this.must(o.containerId);
    if (c.status !== 'running') throw new Error('cannot exec in a stopped container');
    let finish!: (code: number) => void;
    const exited = new Promise<number>((resolve) => { finish = resolve; });
    let releasedResolve!: () => void;
    const releasedP = new Promise<void>((r) => { releasedResolve = r; });
    const pid = this.nextPid++;
    const entry = { options: o, released: false, finish };
    this.execs.set(o.execId, entry);
    return {
      pid: 0,
      attachPath: `${o.dir}/attach`,
      exited: releasedP.then(() => exited),
      pidKnown: releasedP.then(() => pid),
      release: () => { entry.released = true; releasedResolve(); },
    };
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const c = this.containers.get(id);
    return c ? { pid: c.pid, status: c.status } : undefined;
  }

  async list(): Promise<Map<string, RuntimeState>> {
    return new Map([...this.containers].map(([id, c]) => [id, { pid: c.pid, status: c.status }]));
  }

  async processes(id: string): Promise<number[]> {
    const c = this.must(id);
    return c.status === 'stopped' ? [] : [c.pid];
  }

  async takeExit(id: string): Promise<number | undefined> {
    const code = this.exits.get(id);
    this.exits.delete(id);
    return code;
  }

  async pendingExits(): Promise<string[]> { return [...this.exits.keys()]; }

  watchExits(onExit: (id: string) => void): void { this.watchers.push(onExit); }

  /** the fake's monitors never die: a test that wants one dead overrides this */
  async monitorAlive(id: string): Promise<boolean | undefined> { return this.containers.has(id) ? true : undefined; }

  async recordExit(id: string, code: number): Promise<void> {
    this.exits.set(id, code);
    for (const w of this.watchers) w(id);
  }

  async attach(socketPath: string): Promise<AttachConnection> {
    this.check('attach', socketPath);
    const conn = new FakeAttach();
    this.attachments.set(socketPath, [...(this.attachments.get(socketPath) ?? []), conn]);
    return conn;
  }

  async resize(dir: string, height: number, width: number): Promise<void> { this.calls.push(`resize ${dir} ${height}x${width}`); }

  async reopenLog(bundle: string): Promise<void> { this.calls.push(`reopenLog ${bundle}`); }

  close(): void { this.watchers.length = 0; }
}
