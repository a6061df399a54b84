/**
 * Exec sessions, kept in memory as Docker keeps them. create -> start (conmon --exec, attach socket)
 * -> exit code; inspect reports Running/ExitCode/Pid. Sessions of removed containers are dropped.
 */
import path from 'node:path';
import { promises as fsp } from 'node:fs';
import type { ExecCreateBody, ExecInspect } from '../api/types.js';
import { conflict, invalidArgument, notFound } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Runtime } from '../runtime/runtime.js';
import type { EventBus } from '../core/events.js';
import type { ContainerStore } from './store.js';
import type { ContainerRecord } from './record.js';
import { checkExec } from './state.js';
import { eventAttributes, pipeAttach, type AttachSink } from './service.js';

/** the command in an exec event's action, as dockerd writes it: entrypoint, a space, the arguments */
const execLine = (cmd: string[]): string => `${cmd[0] ?? ''} ${cmd.slice(1).join(' ')}`;

interface ExecRecord {
  id: string;
  containerId: string;
  body: ExecCreateBody;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  dir: string;
  done?: Promise<number>;
  /** the host pid, once the process runs */
  pidKnown?: Promise<number>;
}

export interface ExecProcessBuilder {
  /** the OCI process object for `runc exec`, from the container's spec and the exec's settings */
  (rec: ContainerRecord, body: ExecCreateBody): Promise<unknown>;
}

/** SIGKILL to a process and all its descendants (a shell probe's children would outlive it otherwise). */
async function killTree(pid: number): Promise<void> {
  const all: number[] = [];
  const walk = async (p: number): Promise<void> => {
    all.push(p);
    for (const tid of await fsp.readdir(`/proc/${p}/task`).catch(() => [] as string[])) {
      const text = await fsp.readFile(`/proc/${p}/task/${tid}/children`, 'utf8').catch(() => '');
      for (const c of text.split(' ').filter(Boolean)) await walk(Number(c));
    }
  };
  await walk(pid);
  for (const p of all) {
    try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
  }
}

export class ExecService {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(private readonly d: { store: ContainerStore; runtime: Runtime; events: EventBus; execRoot: string; buildProcess: ExecProcessBuilder }) {}

  create(ref: string, body: ExecCreateBody): { Id: string } {
    const rec = this.d.store.resolve(ref);
    const err = checkExec(rec.state.Status, rec.id);
    if (err) throw err;
    if (!Array.isArray(body.Cmd) || body.Cmd.length === 0) throw invalidArgument('No exec command specified');
    const id = newId();
    this.execs.set(id, { id, containerId: rec.id, body, running: false, started: false, exitCode: null, pid: 0, dir: path.join(this.d.execRoot, 'x', id.slice(0, 24)) });
    this.d.events.publish('container', `exec_create: ${execLine(body.Cmd)}`, rec.id, eventAttributes(rec, { execID: id }));
    return { Id: id };
  }

  get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  /** Start an exec; with a sink the client is attached before the process runs. */
  async start(id: string, opts: { detach: boolean; tty?: boolean }, sink?: AttachSink): Promise<void> {
    const e = this.get(id);
    if (e.started) throw conflict(`Exec command ${id} has already run`);
    const rec = this.d.store.resolve(e.containerId);
    const err = checkExec(rec.state.Status, rec.id);
    if (err) throw err;
    e.started = true;
    const tty = !!(opts.tty ?? e.body.Tty);
    const proc = await this.d.buildProcess(rec, { ...e.body, Tty: tty });
    const session = await this.d.runtime.exec({ containerId: rec.id, execId: id, dir: e.dir, process: proc, tty, stdin: !!e.body.AttachStdin && !opts.detach });
    const done = session.exited.then((code) => code, () => 126).then((code) => {
      e.running = false;
      e.exitCode = code;
      e.pid = session.pid;
      return code;
    });
    if (sink && !opts.detach) {
      const conn = await this.d.runtime.attach(session.attachPath);
      // the client reads the exit code (GET /exec/{id}/json) as soon as its stream ends: end it only once
      // the code is known (conmon closes the attach socket before it reports the exit)
      const closeAfterExit: AttachSink = { ...sink, close: () => { void done.finally(() => sink.close()); } };
      pipeAttach(conn, { stdin: !!e.body.AttachStdin, stdout: e.body.AttachStdout !== false, stderr: e.body.AttachStderr !== false }, closeAfterExit, true);
    }
    e.running = true;
    session.release();
    this.d.events.publish('container', `exec_start: ${execLine(e.body.Cmd ?? [])}`, rec.id, eventAttributes(rec, { execID: id }));
    e.done = done.then(async (code) => {
      await fsp.rm(e.dir, { recursive: true, force: true });
      this.d.events.publish('container', 'exec_die', rec.id, eventAttributes(rec, { execID: id, exitCode: String(code) }));
      return code;
    });
    e.pidKnown = session.pidKnown.then((p) => { e.pid = p; return p; });
    e.pidKnown.catch(() => undefined);
    // the pid is usually known right after release
    await new Promise((r) => setTimeout(r, 0));
    if (session.pid) e.pid = session.pid;
  }

  /**
   * Runs a health probe: an exec like any other (with Docker's exec events), its output collected up
   * to `maxOutput` bytes; killed after `timeoutMs` with exit code -1 and Docker's message. The session
   * is forgotten afterwards, so probes do not pile up.
   */
  async probe(ref: string, cmd: string[], timeoutMs: number, timeoutText: string, maxOutput = 4096): Promise<{ exitCode: number; output: string }> {
    const { Id } = this.create(ref, { Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false });
    const chunks: Buffer[] = [];
    let size = 0;
    let closed!: () => void;
    const drained = new Promise<void>((r) => { closed = r; });
    const sink: AttachSink = {
      output: (_s, d) => { if (size < maxOutput) { chunks.push(d); size += d.length; } },
      close: () => closed(),
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.start(Id, { detach: false }, sink);
      const e = this.get(Id);
      const timedOut = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
      const res = await Promise.race([e.done!, timedOut]);
      if (res === 'timeout') {
        const pid = await e.pidKnown?.catch(() => 0);
        if (pid && pid > 0) await killTree(pid);
        return { exitCode: -1, output: timeoutText };
      }
      await Promise.race([drained, new Promise((r) => setTimeout(r, 200))]);
      return { exitCode: res, output: Buffer.concat(chunks).subarray(0, maxOutput).toString() };
    } finally {
      if (timer) clearTimeout(timer);
      this.execs.delete(Id);
    }
  }

  async resize(id: string, h: number, w: number): Promise<void> {
    const e = this.get(id);
    if (!e.running) throw conflict(`exec ${id} is not running`);
    await this.d.runtime.resize(e.dir, h, w);
  }

  inspect(id: string): ExecInspect {
    const e = this.get(id);
    const cmd = e.body.Cmd ?? [];
    return {
      CanRemove: false, DetachKeys: e.body.DetachKeys ?? '', ID: e.id, Running: e.running, ExitCode: e.exitCode,
      ProcessConfig: { privileged: !!e.body.Privileged, user: e.body.User ?? '', tty: !!e.body.Tty, entrypoint: cmd[0] ?? '', arguments: cmd.slice(1) },
      OpenStdin: !!e.body.AttachStdin, OpenStderr: !!e.body.AttachStderr, OpenStdout: !!e.body.AttachStdout,
      ContainerID: e.containerId, Pid: e.pid,
    };
  }

  idsFor(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.containerId === containerId && e.running).map((e) => e.id);
  }

  forget(containerId: string): void {
    for (const [id, e] of this.execs) if (e.containerId === containerId) this.execs.delete(id);
  }
}
