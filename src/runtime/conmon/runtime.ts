/**
 * The container runtime: runc, each container (and each exec) under its own conmon.
 *
 * Lifecycle of a container here:
 *   create(bundle)  -> conmon starts, runs `runc create`, reports the init pid on the sync pipe
 *   start(id)       -> `runc start`: the process runs; conmon owns its stdio, log and exit code
 *   (exit)          -> conmon writes <exitDir>/<id> with the exit code and exits; onExit fires
 *   delete(id)      -> `runc delete --force` frees runc's state
 * conmon double-forks and calls setsid, so containers outlive the daemon; a restarted daemon finds the
 * exit files of containers that ended meanwhile (see `pendingExits`) and the running ones in `runc list`.
 *
 * Glossary: bundle = the OCI bundle dir (config.json; conmon's attach socket, ctl and winsz FIFOs live
 * there); runc root = this daemon's private runc state dir (so daemons never see each other's containers).
 */
import { spawn } from 'node:child_process';
import { promises as fsp, watch, type FSWatcher, constants as fsc, openSync, fstatSync, closeSync, unlinkSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { internal, BerthError } from '../../core/errors.js';
import { output } from '../../host/process.js';
import { spawnDaemon, type SpawnDaemon } from '../../host/spawnd.js';
import { specToJSON } from '../oci/generate.js';
import type { AttachConnection, CreateOptions, ExecOptions, ExecSession, Runtime, RuntimeState } from '../runtime.js';
import { connectAttach } from './attach.js';

export interface RuntimeOptions {
  /** the OCI runtime binary (runc, crun, or a wrapper), from the daemon's configuration */
  runtimePath: string;
  /** global arguments for every invocation of the runtime (daemon.json's runtimeArgs) */
  runtimeArgs?: string[];
  /** this runtime's private state dir (its --root), derived from --exec-root */
  stateRoot: string;
  /** where conmon writes exit files of containers */
  exitDir: string;
  conmonPath?: string;
  /**
   * start a created container through its exec.fifo in the state dir instead of running the runtime's
   * `start`: 'read' opens it for reading as `runc start` does (runc 1.1), 'write' writes one byte into it
   * as `crun start` does (crun 1.x). The runtime's `start` is the fallback when the fifo is not there.
   */
  startByFifo?: 'read' | 'write';
}

export type { CreateOptions, ExecOptions, ExecSession };

/** Run a command, resolving with stdout; rejects with its stderr in the message (host/process.ts). */
export function run(cmd: string, args: string[], opts: { input?: string } = {}): Promise<string> {
  return output(cmd, args, { input: opts.input, maxBuffer: 16 << 20 });
}

/** A sync pipe's line `{"data": n, "message"?: s}`, or undefined when it is not one (yet). */
function parseSyncLine(text: string): { data: number; message?: string } | undefined {
  try {
    const msg = JSON.parse(text) as { data: number; message?: string };
    return typeof msg === 'object' && msg !== null && typeof msg.data === 'number' ? msg : undefined;
  } catch {
    return undefined;
  }
}

/** Reads one JSON line `{"data": n, "message"?: s}` from a conmon sync/attach pipe. */
function readSyncLine(stream: Readable): Promise<{ data: number; message?: string }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      const msg = parseSyncLine(nl >= 0 ? buf.slice(0, nl) : buf);
      if (!msg) return; // incomplete line: wait for more
      cleanup();
      // keep what follows for the next reader
      const rest = nl >= 0 ? buf.slice(nl + 1) : '';
      if (rest) stream.unshift(Buffer.from(rest));
      resolve(msg);
    };
    const onEnd = () => { cleanup(); reject(internal('conmon closed its sync pipe without reporting')); };
    const cleanup = () => { stream.off('data', onData); stream.off('end', onEnd); stream.off('close', onEnd); stream.pause(); };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.resume();
  });
}

/**
 * The runtime's error text as runc words it, since clients read it (the docker CLI exits 127 on
 * "executable file not found" or "no such file or directory", 126 on "permission denied"): runc's is a logrus
 * line, of which the message is kept; crun's uses C's strerror texts (capitalised) and words a missing
 * command its own way.
 */
export function runcMessage(raw: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(raw);
  const text = m ? m[1].replace(/\\"/g, '"').replace(/\\\\/g, '\\') : raw.trim();
  return text.replace(/^runc create failed: /, '').replace(/^crun: /, '')
    .replace(/executable file `([^`]*)` not found in \$PATH: No such file or directory/, 'exec: "$1": executable file not found in $PATH')
    .replace(/: (No such file or directory|Permission denied|Operation not permitted)$/, (_m, e: string) => `: ${e.toLowerCase()}`);
}

export class ConmonRuntime implements Runtime {
  private readonly runc: string;
  private readonly conmon: string;
  private watcher?: FSWatcher;
  /** deletes running in the background, by id: a create or delete of the same id waits for them */
  private readonly deleting = new Map<string, Promise<void>>();

  constructor(private readonly opts: RuntimeOptions) {
    this.runc = opts.runtimePath;
    this.conmon = opts.conmonPath ?? '/usr/bin/conmon';
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.opts.stateRoot, { recursive: true, mode: 0o700 });
    await fsp.mkdir(this.opts.exitDir, { recursive: true, mode: 0o700 });
  }

  private runcArgs(...args: string[]): string[] {
    return [...(this.opts.runtimeArgs ?? []), '--root', this.opts.stateRoot, ...args];
  }

  private conmonCommon(cid: string, uuid: string, bundle: string, pidFile: string): string[] {
    const global = [...(this.opts.runtimeArgs ?? []), `--root=${this.opts.stateRoot}`].flatMap((a) => ['--runtime-arg', a]);
    return ['--api-version', '1', '-c', cid, '-u', uuid, '-r', this.runc, ...global,
      '-b', bundle, '-p', pidFile, '--full-attach', '--log-level', 'error'];
  }

  /** Starts conmon, which runs `runc create`; resolves with the container's init pid. */
  async create(o: CreateOptions): Promise<number> {
    await this.deleting.get(o.id);
    await fsp.rm(path.join(this.opts.exitDir, o.id), { force: true });
    const args = [...this.conmonCommon(o.id, o.id, o.bundle, path.join(o.bundle, 'pidfile')),
      '-P', path.join(o.bundle, 'conmon.pid'), '-l', `${o.logDriver ?? 'k8s-file'}:${o.logPath}`, '--exit-dir', this.opts.exitDir, '--no-sync-log'];
    if (o.tty) args.push('-t');
    if (o.stdin) args.push('-i');
    if (o.stdin && o.leaveStdinOpen) args.push('--leave-stdin-open');
    const helper = spawnDaemon();
    if (helper) {
      const started = await helper.conmon(this.conmon, args, { cwd: o.bundle, env: { _OCI_SYNCPIPE: '3' } })
        .catch((e: Error) => { throw internal(`conmon failed: ${e.message}`, e); });
      const msg = started.syncLine === undefined ? undefined : parseSyncLine(started.syncLine);
      if (!msg) throw internal(`conmon failed: ${started.stderr.trim() || 'conmon closed its sync pipe without reporting'}`);
      if (msg.data < 0) throw new BerthError('Internal', runcMessage(msg.message ?? 'runc create failed'));
      return msg.data;
    }
    const child = spawn(this.conmon, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { ...process.env, _OCI_SYNCPIPE: '3' }, cwd: o.bundle });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const sync = child.stdio[3] as Readable;
    try {
      const msg = await readSyncLine(sync).catch((e) => { throw internal(`conmon failed: ${stderr.trim() || (e as Error).message}`); });
      if (msg.data < 0) throw new BerthError('Internal', runcMessage(msg.message ?? 'runc create failed'));
      return msg.data;
    } finally {
      sync.destroy();
      child.stderr!.destroy();
    }
  }

  async start(id: string): Promise<void> {
    const fifo = path.join(this.opts.stateRoot, id, 'exec.fifo');
    if (this.opts.startByFifo === 'read' && (await startThroughFifo(fifo))) return;
    if (this.opts.startByFifo === 'write' && startByWritingFifo(fifo)) return;
    await run(this.runc, this.runcArgs('start', id)).catch((e: Error) => { throw internal(runcMessage(e.message), e); });
  }

  /** Sends a signal through runc (which checks the container still exists, unlike kill(2) on a pid). */
  async kill(id: string, signal: number, all = false): Promise<void> {
    await run(this.runc, this.runcArgs('kill', ...(all ? ['--all'] : []), id, String(signal)));
  }

  /** `runc pause`: freezes every process of the container (the freezer cgroup). */
  async pause(id: string): Promise<void> {
    await run(this.runc, this.runcArgs('pause', id)).catch((e: Error) => { throw internal(runcMessage(e.message), e); });
  }

  /** `runc resume`: thaws a paused container. */
  async resume(id: string): Promise<void> {
    await run(this.runc, this.runcArgs('resume', id)).catch((e: Error) => { throw internal(runcMessage(e.message), e); });
  }

  /** `runc update`: new resource limits for a running container. */
  async update(id: string, args: string[]): Promise<void> {
    await run(this.runc, this.runcArgs('update', ...args, id)).catch((e: Error) => { throw internal(runcMessage(e.message), e); });
  }

  /** `runc delete --force`; nothing to do (and no runc to spawn) when runc holds no state for the id. */
  async delete(id: string, opts: { background?: boolean } = {}): Promise<void> {
    const pending = this.deleting.get(id);
    if (pending) {
      if (!opts.background) await pending;
      return;
    }
    if (!opts.background) return this.deleteNow(id);
    const p = this.deleteNow(id).catch(() => undefined).finally(() => this.deleting.delete(id));
    this.deleting.set(id, p);
  }

  private async deleteNow(id: string): Promise<void> {
    if (!(await fsp.stat(path.join(this.opts.stateRoot, id)).then(() => true, () => false))) return;
    await run(this.runc, this.runcArgs('delete', '--force', id)).catch((e: Error) => {
      if (!/does not exist|not exist/.test(e.message)) throw e;
    });
  }

  /** Containers runc knows about, with their status (created, running, paused, stopped). */
  async list(): Promise<Map<string, { pid: number; status: string }>> {
    const out = await run(this.runc, this.runcArgs('list', '--format', 'json'));
    const items = (JSON.parse(out || 'null') ?? []) as { id: string; pid: number; status: string }[];
    return new Map(items.map((i) => [i.id, { pid: i.pid, status: i.status }]));
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    if (!(await fsp.stat(path.join(this.opts.stateRoot, id)).then(() => true, () => false))) return undefined;
    const out = await run(this.runc, this.runcArgs('state', id)).catch((e: Error) => {
      if (/does not exist|not exist/.test(e.message)) return undefined;
      throw e;
    });
    if (out === undefined) return undefined;
    const s = JSON.parse(out) as { pid: number; status: string };
    return { pid: s.pid, status: s.status };
  }

  async processes(id: string): Promise<number[]> {
    const out = await run(this.runc, this.runcArgs('ps', '--format', 'json', id));
    return (JSON.parse(out || '[]') ?? []) as number[];
  }

  /**
   * Whether the conmon of a container still runs: its pid (conmon's -P file in the bundle) names a live
   * process whose command line is conmon's for this container (a zombie has none; a reused pid has
   * another). Undefined when conmon has not written its pid file (yet).
   */
  async monitorAlive(id: string, bundle: string): Promise<boolean | undefined> {
    const pid = Number((await fsp.readFile(path.join(bundle, 'conmon.pid'), 'utf8').catch(() => '')).trim());
    if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
    const cmdline = await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return cmdline.includes('conmon') && cmdline.includes(id);
  }

  /** Writes the exit file conmon would have written (the daemon took a container over from a dead conmon). */
  async recordExit(id: string, code: number): Promise<void> {
    // a dot file is no exit file (pendingExits): written aside, then renamed in place
    const tmp = path.join(this.opts.exitDir, `.${id}.tmp`);
    await fsp.writeFile(tmp, String(code));
    await fsp.rename(tmp, path.join(this.opts.exitDir, id));
  }

  /** Reads and removes the exit file of a container, if conmon wrote one. */
  async takeExit(id: string): Promise<number | undefined> {
    const file = path.join(this.opts.exitDir, id);
    const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined || text.trim() === '') return undefined;
    await fsp.rm(file, { force: true });
    return Number.parseInt(text.trim(), 10);
  }

  /** Ids with an exit file waiting: containers that ended while nobody watched. */
  async pendingExits(): Promise<string[]> {
    return (await fsp.readdir(this.opts.exitDir).catch(() => [])).filter((f) => !f.startsWith('.'));
  }

  /** Calls onExit(id) whenever conmon writes an exit file. */
  watchExits(onExit: (id: string) => void): void {
    this.watcher = watch(this.opts.exitDir, (_event, file) => { if (file) onExit(file.toString()); });
  }

  close(): void {
    this.watcher?.close();
  }

  attach(socketPath: string): Promise<AttachConnection> {
    return connectAttach(socketPath);
  }

  /** Terminal resize through conmon's control FIFO (message type 1). */
  async resize(bundle: string, height: number, width: number): Promise<void> {
    await writeCtl(path.join(bundle, 'ctl'), `1 ${height} ${width}\n`);
  }

  /** Asks conmon to reopen its log file (message type 2), after the daemon rotated it. */
  async reopenLog(bundle: string): Promise<void> {
    await writeCtl(path.join(bundle, 'ctl'), '2 0 0\n');
  }

  /**
   * Starts an exec session under its own conmon. The process is not run until `release()` is called,
   * so a client can connect to the attach socket first and miss no output.
   */
  async exec(o: ExecOptions): Promise<ExecSession> {
    await fsp.mkdir(o.dir, { recursive: true, mode: 0o700 });
    const spec = path.join(o.dir, 'process.json');
    // rlimits may hold 64-bit values (unlimited): written as JSON numbers, not JS numbers
    await fsp.writeFile(spec, specToJSON(o.process));
    const args = [...this.conmonCommon(o.containerId, o.execId.slice(0, 32), o.dir, path.join(o.dir, 'pidfile')),
      '-l', 'none', '--exit-dir', o.dir, '--exec', '--exec-process-spec', spec, '--exec-attach', '--no-sync-log'];
    if (o.tty) args.push('-t');
    if (o.stdin) args.push('-i');
    const helper = spawnDaemon();
    if (helper) return this.execThrough(helper, args, o);
    const child = spawn(this.conmon, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' },
      cwd: o.dir,
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const sync = child.stdio[3] as Readable;
    const startPipe = child.stdio[4] as NodeJS.WritableStream & { destroy(): void };
    const attachPipe = (child.stdio as unknown as Readable[])[5];
    startPipe.write('0');
    const ready = await readSyncLine(attachPipe).catch(() => { throw internal(`conmon exec failed: ${stderr.trim()}`); });
    attachPipe.destroy();
    if (ready.data < 0) throw internal(runcMessage(ready.message ?? 'exec failed'));
    let released = false;
    const pidP = readSyncLine(sync);
    const release = () => { if (!released) { released = true; startPipe.write('0'); } };
    // the pid arrives only after release(): hand out a promise-backed session
    const session: ExecSession = {
      pid: 0,
      pidKnown: pidP.then((p) => p.data),
      attachPath: path.join(o.dir, 'attach'),
      release,
      exited: pidP.then(async (p) => {
        if (p.data < 0) throw new BerthError('Internal', runcMessage(p.message ?? 'exec failed'));
        session.pid = p.data;
        const code = await readSyncLine(sync).catch(() => ({ data: -1 }));
        startPipe.destroy();
        sync.destroy();
        child.stderr!.destroy();
        return code.data;
      }),
    };
    return session;
  }

  /** exec() with conmon started by berth-spawnd, which holds its pipes and answers at each step */
  private async execThrough(helper: SpawnDaemon, args: string[], o: ExecOptions): Promise<ExecSession> {
    const x = helper.exec(this.conmon, args, { cwd: o.dir, env: { _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' } });
    const ready = await x.ready.catch((e: Error) => { throw internal(`conmon exec failed: ${e.message}`, e); });
    const msg = ready.line === undefined ? undefined : parseSyncLine(ready.line);
    if (!msg) throw internal(`conmon exec failed: ${ready.stderr.trim()}`);
    if (msg.data < 0) throw internal(runcMessage(msg.message ?? 'exec failed'));
    const pidP = x.pid.then((line) => {
      const p = line === undefined ? undefined : parseSyncLine(line);
      if (!p) throw internal('conmon closed its sync pipe without reporting');
      return p;
    });
    const session: ExecSession = {
      pid: 0,
      pidKnown: pidP.then((p) => p.data),
      attachPath: path.join(o.dir, 'attach'),
      release: x.release,
      exited: pidP.then(async (p) => {
        if (p.data < 0) throw new BerthError('Internal', runcMessage(p.message ?? 'exec failed'));
        session.pid = p.data;
        const code = await x.exit.catch(() => undefined);
        return (code === undefined ? undefined : parseSyncLine(code))?.data ?? -1;
      }),
    };
    return session;
  }
}

async function writeCtl(fifo: string, msg: string): Promise<void> {
  // O_NONBLOCK: never hang on a FIFO whose reader (conmon) is gone
  const fh = await fsp.open(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK).catch(() => undefined);
  if (!fh) return;
  try { await fh.write(msg); } finally { await fh.close(); }
}

/**
 * Starts a created runc container as `runc start` does: open its exec.fifo for reading, which lets runc's
 * init (blocked writing to it) go on and exec the user's program, read the byte it writes, and remove the
 * fifo (runc reports a container without it as running). Opened read-write and non-blocking, so the open
 * never waits; a container whose init never writes (it died) falls back to `runc start` after a while.
 * False when there is no fifo to open: the caller runs `runc start`.
 */
async function startThroughFifo(fifo: string, timeoutMs = 5000): Promise<boolean> {
  let fd: number;
  try {
    fd = openSync(fifo, fsc.O_RDWR | fsc.O_NONBLOCK);
  } catch {
    return false;
  }
  if (!fstatSync(fd).isFIFO()) {
    closeSync(fd);
    return false;
  }
  const sock = new net.Socket({ fd, readable: true, writable: false });
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    sock.once('data', () => { clearTimeout(timer); resolve(true); });
    sock.once('error', () => { clearTimeout(timer); resolve(false); });
  });
  sock.destroy();
  if (ok) {
    try { unlinkSync(fifo); } catch { /* runc start would not mind either */ }
  }
  return ok;
}

/**
 * Starts a created crun container as `crun start` does (libcrun_status_write_exec_fifo): open its
 * exec.fifo for writing, remove it (crun reports a container without it as running) and write one byte,
 * which crun's init, waiting to read it, takes as the go. Opened non-blocking: when no init holds the
 * other end (it died), the open fails at once and the caller runs `crun start`, which reports why. crun
 * runs poststart hooks after this write; Berth's specs have none.
 * False when there is no fifo with a reader.
 */
export function startByWritingFifo(fifo: string): boolean {
  let fd: number;
  try {
    fd = openSync(fifo, fsc.O_WRONLY | fsc.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    if (!fstatSync(fd).isFIFO()) return false;
    try { unlinkSync(fifo); } catch { /* already gone: the byte still starts it */ }
    return writeSync(fd, Buffer.from([0])) === 1;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
