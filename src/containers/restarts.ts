/**
 * Restart policies at work: each container's pending restart and its backoff, the containers started
 * again when the daemon starts, and the settling of a container that waits for a restart when it is
 * stopped by hand. Whether an exit restarts is `wantsRestart` (restart.ts); the supervisor acts on it,
 * always inside the container's lock, which its host gives.
 */
import type { ContainerRecord } from './record.js';
import { Backoff, policyName, RestartTimers, wantsRestart } from './restart.js';

export interface RestartHost {
  get(id: string): ContainerRecord | undefined;
  all(): ContainerRecord[];
  save(rec: ContainerRecord): Promise<void>;
  locked<T>(id: string, fn: () => Promise<T>): Promise<T>;
  /** starts the container; called inside its lock */
  start(rec: ContainerRecord): Promise<void>;
  /** tells the container's waiters that it stopped with this code */
  exited(id: string, code: number): void;
  log?(msg: string): void;
}

export class RestartSupervisor {
  private readonly timers = new RestartTimers();
  private readonly backoffs = new Map<string, Backoff>();
  /** automatic restarts happen only once the daemon is ready (networks and volumes restored) */
  enabled = false;

  constructor(private readonly h: RestartHost) {}

  /** Forgets the container's pending restart and its backoff: a start through the API, a removal. */
  reset(id: string): void {
    this.timers.cancel(id);
    this.backoffs.delete(id);
  }

  /** Restarts the container after its backoff, which grows with each restart of a short run. */
  schedule(id: string, ranForMs: number): void {
    const backoff = this.backoffs.get(id) ?? new Backoff();
    this.backoffs.set(id, backoff);
    this.timers.schedule(id, backoff.next(ranForMs), () => void this.h.locked(id, async () => {
      const rec = this.h.get(id);
      if (!rec || rec.state.Status !== 'restarting') return;
      await this.h.start(rec).catch(async (e: unknown) => {
        // as Docker: a restart that fails leaves the container stopped, with no further attempts
        this.h.log?.(`restart of ${id} failed: ${(e as Error).message}`);
        rec.state = { ...rec.state, Status: 'exited', Running: false, Restarting: false, Pid: 0 };
        await this.h.save(rec).catch(() => undefined);
        this.h.exited(id, rec.state.ExitCode);
      });
    }));
  }

  /** A container waiting for its restart, stopped by hand: it stays exited. Called inside its lock. */
  async settle(rec: ContainerRecord): Promise<void> {
    this.timers.cancel(rec.id);
    rec.manuallyStopped = true;
    rec.state = { ...rec.state, Status: 'exited', Running: false, Restarting: false, Pid: 0 };
    await this.h.save(rec);
    this.h.exited(rec.id, rec.state.ExitCode);
  }

  /**
   * What Docker starts when its daemon starts: `always` containers, `unless-stopped` ones not stopped by
   * hand, and `on-failure` ones that failed and have retries left. The others that were waiting for a
   * restart are settled as exited.
   */
  async boot(): Promise<void> {
    for (const rec of this.h.all()) {
      if (rec.state.Status !== 'exited' && rec.state.Status !== 'restarting') continue;
      const p = rec.hostConfig.RestartPolicy;
      const boot = rec.hasBeenStarted && (policyName(p) === 'always'
        || (policyName(p) !== 'no' && wantsRestart(p, { exitCode: rec.state.ExitCode, manuallyStopped: rec.manuallyStopped, restartCount: rec.restartCount })));
      await this.h.locked(rec.id, async () => {
        const cur = this.h.get(rec.id);
        if (!cur || (cur.state.Status !== 'exited' && cur.state.Status !== 'restarting')) return;
        if (!boot) {
          if (cur.state.Status === 'restarting') await this.settle(cur);
          return;
        }
        await this.h.start(cur).catch(async (e: unknown) => {
          this.h.log?.(`restart of ${cur.id} at daemon start failed: ${(e as Error).message}`);
          if (cur.state.Status === 'restarting') await this.settle(cur);
        });
      });
    }
  }

  /** The daemon is going away: no more restarts (the containers' state stays as it is). */
  close(): void {
    this.timers.clear();
    this.enabled = false;
  }
}
