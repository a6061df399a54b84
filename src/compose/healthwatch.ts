/**
 * Wakes those who wait on a container's health or exit as soon as the daemon says it changed: one
 * event stream for the project (`health_status` and `die` of its containers), opened before the first
 * look at a container so that no change between the look and the wait is missed. A waiter is also woken
 * after `fallbackMs` (the stream could not be opened, or broke): it then looks again, as a poll would.
 */
import type { BerthClient, EventStream } from '../client/client.js';
import { L } from './labels.js';

export class HealthWatch {
  private stream?: Promise<EventStream | undefined>;
  private readonly waiters = new Map<string, Set<() => void>>();
  private holders = 0;

  constructor(private readonly client: BerthClient, private readonly project: string) {}

  /** Keeps the stream open (once opened) until the returned function is called by every holder. */
  hold(): () => void {
    this.holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holders > 0) return;
      const s = this.stream;
      this.stream = undefined;
      void s?.then((x) => x?.close());
    };
  }

  /** Opens the stream (while held); false when the daemon would not give one (waiters then poll). */
  async open(): Promise<boolean> {
    if (this.holders === 0) return false;
    this.stream ??= this.client.events({ filters: { type: ['container'], event: ['health_status', 'die'], label: [`${L.project}=${this.project}`] } }).then(
      (s) => {
        void this.pump(s);
        return s;
      },
      () => undefined,
    );
    return (await this.stream) !== undefined;
  }

  private async pump(s: EventStream): Promise<void> {
    try {
      for await (const m of s) {
        for (const wake of [...(this.waiters.get(m.Actor?.ID ?? '') ?? [])]) wake();
      }
    } catch {
      // the waiters' own timers take over
    }
  }

  /**
   * A promise that settles at the next health or exit event of container `id`, or after `fallbackMs`.
   * Take it before looking at the container, await it after.
   */
  next(id: string, fallbackMs: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, fallbackMs);
      // a waiter that gave up waiting keeps nothing alive
      timer.unref();
      set.add(wake);
    });
  }
}
