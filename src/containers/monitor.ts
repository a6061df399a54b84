/**
 * The watch on each running container's monitor (conmon). conmon owns the container's stdio and is the
 * one that learns its exit code; when it dies (SIGKILL, OOM killer) the container may still run, and no
 * exit file will ever come. The daemon then takes the container over, as Docker does with a dead shim:
 * it kills what still runs (SIGKILL to every process, through runc) and records the exit itself: 137
 * when it had to kill the container, 255 (unknown, as Docker reports a lost exit) when the process was
 * already gone. The exit then goes through the usual path (handleExit: runc delete, unmounts, network).
 *
 * Checked every second, before each state-changing call (kill, stop, rm), and in inspect and ps.
 */
import type { ContainerRecord } from './record.js';

export interface MonitorDeps {
  running(): ContainerRecord[];
  get(id: string): ContainerRecord | undefined;
  bundleDir(id: string): string;
  runtime: {
    monitorAlive(id: string, bundle: string): Promise<boolean | undefined>;
    pendingExits(): Promise<string[]>;
    state(id: string): Promise<{ status: string } | undefined>;
    kill(id: string, signal: number, all?: boolean): Promise<void>;
    resume(id: string): Promise<void>;
    recordExit(id: string, code: number): Promise<void>;
  };
  handleExit(id: string): Promise<void>;
  /** the exit of `id` being handled right now (conmon's exit file already taken), if any */
  exitInProgress(id: string): Promise<void> | undefined;
  log?: (msg: string) => void;
}

const SIGKILL_CODE = 137;
const UNKNOWN_CODE = 255;

export class MonitorWatch {
  private timer?: NodeJS.Timeout;
  private readonly busy = new Map<string, Promise<boolean>>();

  constructor(private readonly d: MonitorDeps, private readonly intervalMs = 1000) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.checkAll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async checkAll(): Promise<void> {
    await Promise.all(this.d.running().map((r) => this.check(r.id)));
  }

  /** Resolves true when the container's monitor was found dead (and its exit has been handled). */
  check(id: string): Promise<boolean> {
    const cur = this.busy.get(id);
    if (cur) return cur;
    const p = this.checkOnce(id).catch((e: unknown) => {
      this.d.log?.(`checking the monitor of ${id}: ${(e as Error).message}`);
      return false;
    }).finally(() => this.busy.delete(id));
    this.busy.set(id, p);
    return p;
  }

  private async checkOnce(id: string): Promise<boolean> {
    const rec = this.d.get(id);
    if (!rec || (rec.state.Status !== 'running' && rec.state.Status !== 'paused')) return false;
    if ((await this.d.runtime.monitorAlive(id, this.d.bundleDir(id))) !== false) return false;
    // conmon ended normally and its exit is being recorded: no exit file left, and none needed
    const inProgress = this.d.exitInProgress(id);
    if (inProgress) {
      await inProgress;
      return true;
    }
    // conmon writes the exit file before it exits: a dead conmon with one ended normally
    if (!(await this.d.runtime.pendingExits()).includes(id)) {
      const status = (await this.d.runtime.state(id).catch(() => undefined))?.status;
      let code = UNKNOWN_CODE;
      if (status === 'running' || status === 'paused' || status === 'created') {
        this.d.log?.(`the monitor (conmon) of container ${id} died: killing the container`);
        await this.d.runtime.kill(id, 9, true).catch(() => undefined);
        if (status === 'paused') await this.d.runtime.resume(id).catch(() => undefined);
        code = SIGKILL_CODE;
      } else {
        this.d.log?.(`the monitor (conmon) of container ${id} died after the container; its exit code is lost`);
      }
      // the exit file may have appeared meanwhile (conmon's last act): never overwrite a real code
      if (!(await this.d.runtime.pendingExits()).includes(id)) await this.d.runtime.recordExit(id, code);
    }
    await this.d.handleExit(id);
    const after = this.d.get(id);
    return !after || (after.state.Status !== 'running' && after.state.Status !== 'paused');
  }
}
