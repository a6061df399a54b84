/**
 * The Runtime: what the container orchestrator asks of an OCI runtime (runc, crun) and of the monitor that
 * owns each container's stdio and exit code (conmon). src/containers drives containers only through it.
 *
 * Lifecycle of a container (one id):
 *
 *   (none) --create--> created --start--> running --(process ends)--> stopped --delete--> (none)
 *                                          |    ^
 *                                    pause |    | resume
 *                                          v    |
 *                                          paused
 *
 *   - create(bundle): the bundle's config.json is read, namespaces and cgroups are made, the init process
 *     waits before the user's program; resolves with the init's host pid. A failure leaves nothing running.
 *   - start(id): the user's program runs. From here on the monitor owns its stdio, log and exit code.
 *   - kill(id, signal, all?): signals the init (or every process, `all`), in any state but none/stopped.
 *   - update(id, flags): new resource limits for a created, running or paused container.
 *   - exec(...): one more process in a running container, under its own monitor.
 *   - (exit) when the init ends the runtime records its exit code: `takeExit(id)` reads and consumes it,
 *     `watchExits` calls back whenever one is recorded, `pendingExits` lists those nobody consumed (a
 *     daemon restarted meanwhile). Exits survive the daemon; containers outlive it.
 *   - delete(id): frees the runtime's state of a stopped (or never started) container; a no-op when the
 *     runtime holds none, so it is safe on every failure path. With `background` it returns at once and
 *     the state goes later (off the critical path of an exit or a removal); a later create or delete of
 *     the same id waits for it, and a daemon that crashed meanwhile finds the leftovers when it starts.
 *   - state(id) / list(): what the runtime itself knows, for reconciling after a restart.
 *
 * Glossary: bundle = the OCI bundle dir (config.json, and the monitor's attach socket and control FIFOs);
 * exit = the decimal exit code the monitor recorded (128+n after signal n); flags = `runc update`'s flags,
 * which crun shares.
 */
import type { EventEmitter } from 'node:events';

export interface CreateOptions {
  id: string;
  bundle: string;
  tty: boolean;
  stdin: boolean;
  logPath: string;
  /** `none`: no log is kept (HostConfig.LogConfig.Type none); otherwise the log file at logPath */
  logDriver?: 'none';
  /** keep stdin open after an attached client detaches (Docker's StdinOnce=false) */
  leaveStdinOpen: boolean;
}

export interface ExecOptions {
  containerId: string;
  execId: string;
  /** a private dir for this exec: process.json, attach socket, exit file */
  dir: string;
  process: unknown;
  tty: boolean;
  stdin: boolean;
}

export interface ExecSession {
  pid: number;
  attachPath: string;
  /** resolves with the exit code when the process ends */
  exited: Promise<number>;
  /** call once the attach socket is connected (or straight away when nobody attaches) */
  release(): void;
  /** resolves with the host pid of the process once it runs (after release) */
  pidKnown: Promise<number>;
}

/** What the runtime itself reports about a container. */
export interface RuntimeState {
  pid: number;
  status: 'created' | 'running' | 'paused' | 'stopped' | string;
}

export type OutputStream = 'stdout' | 'stderr';

/** A client joined to a container's (or exec's) stdio through its monitor. */
export interface AttachConnection extends EventEmitter {
  on(event: 'data', cb: (stream: OutputStream, data: Buffer) => void): this;
  on(event: 'end', cb: () => void): this;
  on(event: 'error', cb: (e: Error) => void): this;
  write(data: Buffer): void;
  /** half-close: the container's stdin closes (unless it was told to leave it open) */
  endInput(): void;
  close(): void;
}

export interface Runtime {
  /** creates the container from its bundle; resolves with the init's host pid */
  create(o: CreateOptions): Promise<number>;
  /** runs the user's program of a created container */
  start(id: string): Promise<void>;
  /** signals the init, or every process of the container with `all` */
  kill(id: string, signal: number, all?: boolean): Promise<void>;
  /** freezes every process of the container */
  pause(id: string): Promise<void>;
  /** thaws a paused container */
  resume(id: string): Promise<void>;
  /** applies new resource limits (`runc update` flags, shared by crun) */
  update(id: string, flags: string[]): Promise<void>;
  /** frees the runtime's state; nothing to do when it holds none */
  delete(id: string, opts?: { background?: boolean }): Promise<void>;
  /** one more process in a running container; it runs once the session is released */
  exec(o: ExecOptions): Promise<ExecSession>;
  /** the runtime's view of one container, undefined when it holds no state for it */
  state(id: string): Promise<RuntimeState | undefined>;
  /** every container the runtime holds state for */
  list(): Promise<Map<string, RuntimeState>>;
  /** host pids of the container's processes */
  processes(id: string): Promise<number[]>;

  /** reads and consumes the recorded exit code of a container, undefined when none is recorded */
  takeExit(id: string): Promise<number | undefined>;
  /** ids whose exit nobody consumed yet */
  pendingExits(): Promise<string[]>;
  /** calls onExit(id) whenever an exit is recorded */
  watchExits(onExit: (id: string) => void): void;
  /**
   * whether the monitor of the container whose bundle is `bundle` still runs (undefined: not known yet);
   * a dead one will never record an exit (see containers/monitor.ts)
   */
  monitorAlive(id: string, bundle: string): Promise<boolean | undefined>;
  /** records an exit as the monitor would have (the daemon took the container over from a dead monitor) */
  recordExit(id: string, code: number): Promise<void>;

  /** joins the stdio of a container or exec through the attach socket at `socketPath` */
  attach(socketPath: string): Promise<AttachConnection>;
  /** terminal resize of the container or exec whose bundle (or exec dir) is `dir` */
  resize(dir: string, height: number, width: number): Promise<void>;
  /** asks the monitor to reopen its log file, after the daemon rotated it */
  reopenLog(bundle: string): Promise<void>;
  /** stops watching exits; containers keep running */
  close(): void;
}
