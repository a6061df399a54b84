/**
 * The waiters of POST /containers/{id}/wait, per container. A waiter names Docker's condition:
 * `not-running` (the next exit, or at once when not running: the caller checks that), `next-exit`
 * (the next exit) or `removed`. An exit followed by an automatic restart ends the first two, as
 * dockerd's State.SetRestarting wakes its stop waiters: a wait on an `always` container returns.
 */
import { invalidArgument } from '../core/errors.js';

export type WaitCondition = 'next-exit' | 'not-running' | 'removed';
export interface WaitResult { StatusCode: number; Error?: { Message: string } | null }

/** The `condition` query parameter, defaulting to not-running as Docker does. */
export function parseWaitCondition(condition: string | undefined): WaitCondition {
  const cond = condition || 'not-running';
  if (cond !== 'not-running' && cond !== 'next-exit' && cond !== 'removed') throw invalidArgument(`invalid condition: "${condition}"`);
  return cond;
}

export class Waiters {
  private readonly byId = new Map<string, { condition: WaitCondition; resolve: (r: WaitResult) => void }[]>();

  /** Resolves when `id` meets the condition; the waiter is dropped when `signal` aborts. */
  add(id: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    return new Promise((resolve) => {
      const w = { condition, resolve };
      this.byId.set(id, [...(this.byId.get(id) ?? []), w]);
      signal?.addEventListener('abort', () => {
        const l = this.byId.get(id)?.filter((x) => x !== w);
        if (l?.length) this.byId.set(id, l);
        else this.byId.delete(id);
      });
    });
  }

  /**
   * The container exited (`exit`), exited and will restart (`restarting`: the same for waiters), or
   * is gone (`removed`: every waiter is done).
   */
  notify(id: string, what: 'exit' | 'restarting' | 'removed', code: number): void {
    const keep = [];
    for (const w of this.byId.get(id) ?? []) {
      const done = what === 'removed' || w.condition !== 'removed';
      if (done) w.resolve({ StatusCode: code, Error: null });
      else keep.push(w);
    }
    if (keep.length) this.byId.set(id, keep);
    else this.byId.delete(id);
  }
}
