/**
 * Restart policies, as Docker's restart manager applies them (pure: the service keeps the timers).
 *
 *   exit --decide()--> restart after `delay` ms (state "restarting", RestartCount+1) | stay exited
 *
 * Backoff: the first restart waits 100 ms, each following one twice as long, at most one minute; a
 * container that ran for 10 s or more before it exited starts again from 100 ms. A manual stop (or a kill
 * with the stop signal or SIGKILL) cancels the next restart whatever the policy. `unless-stopped` never
 * restarts a container that was stopped by hand; `always` does, but only when the daemon starts again.
 */
import type { RestartPolicy } from '../api/types.js';
import { invalidArgument, type BerthError } from '../core/errors.js';

export const BACKOFF_START_MS = 100;
export const BACKOFF_MAX_MS = 60_000;
/** a run at least this long resets the backoff */
export const BACKOFF_RESET_AFTER_MS = 10_000;

export type PolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure';

/** Docker's check of a restart policy (create and update), with its texts. */
export function checkRestartPolicy(p: RestartPolicy | null | undefined, autoRemove = false): BerthError | undefined {
  if (!p) return undefined;
  const name = p.Name ?? '';
  const max = p.MaximumRetryCount ?? 0;
  if (typeof name !== 'string' || (typeof max !== 'number' || !Number.isInteger(max))) {
    return invalidArgument('invalid restart policy: expected a name and an integer MaximumRetryCount');
  }
  switch (name) {
    case 'always': case 'unless-stopped': case 'no':
      if (max !== 0) {
        return invalidArgument(`invalid restart policy: maximum retry count can only be used with 'on-failure'${max < 0 ? ' and cannot be negative' : ''}`);
      }
      break;
    case 'on-failure':
      if (max < 0) return invalidArgument('invalid restart policy: maximum retry count cannot be negative');
      break;
    case '':
      break;
    default:
      return invalidArgument(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (autoRemove && policyName(p) !== 'no') return invalidArgument(`can't create 'AutoRemove' container with restart policy`);
  return undefined;
}

export function policyName(p: RestartPolicy | null | undefined): PolicyName {
  const n = p?.Name;
  return n === 'always' || n === 'unless-stopped' || n === 'on-failure' ? n : 'no';
}

export interface ExitFacts {
  exitCode: number;
  /** stopped or killed through the API since its last start */
  manuallyStopped: boolean;
  /** automatic restarts so far (Docker's RestartCount) */
  restartCount: number;
}

/** Whether the policy restarts a container after this exit. */
export function wantsRestart(p: RestartPolicy | null | undefined, f: ExitFacts): boolean {
  switch (policyName(p)) {
    case 'always': return true;
    case 'unless-stopped': return !f.manuallyStopped;
    case 'on-failure': {
      const max = p?.MaximumRetryCount ?? 0;
      return f.exitCode !== 0 && (max === 0 || f.restartCount < max);
    }
    default: return false;
  }
}

/** The backoff of one container: the delay before its next restart. */
export class Backoff {
  private current = 0;

  /** the delay before the restart that follows a run of `ranForMs` */
  next(ranForMs: number): number {
    if (ranForMs >= BACKOFF_RESET_AFTER_MS) this.current = 0;
    this.current = this.current === 0 ? BACKOFF_START_MS : Math.min(this.current * 2, BACKOFF_MAX_MS);
    return this.current;
  }

  get delay(): number {
    return this.current;
  }
}

/** The timers of pending automatic restarts, one per container. */
export class RestartTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** Runs `fn` after `delayMs` (replacing a pending restart of `id`); the timer never keeps the process up. */
  schedule(id: string, delayMs: number, fn: () => void): void {
    this.cancel(id);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, delayMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  /** Drops a pending restart; returns whether there was one. */
  cancel(id: string): boolean {
    const t = this.timers.get(id);
    if (!t) return false;
    clearTimeout(t);
    this.timers.delete(id);
    return true;
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
