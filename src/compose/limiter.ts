/** At most `n` tasks at a time (COMPOSE_PARALLEL_LIMIT / --parallel); the rest wait in order. */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(readonly n: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.n > 0 && this.active >= this.n) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

/** Runs all, waits for all, and rethrows the first failure (after every task settled). */
export async function settleAll<T>(tasks: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * Urgent work first: work on a critical path (`urgent`) runs at once; other work (`later`) runs at most
 * `background` at a time, and waits while a hold is on (a probe the daemon is about to run), until
 * `open()` lifts both limits (nothing urgent is left to make way for). Urgent work itself does not stop
 * the other: with only a few of those at the daemon, it is not far behind them.
 */
export class PriorityGate {
  private holds = 0;
  private laterActive = 0;
  private limited = true;
  private readonly queue: (() => void)[] = [];
  constructor(readonly background: number) {}

  urgent<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  /** Urgent work under way (a probe the daemon is about to run) until the returned function is called. */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.pump();
    };
  }

  async later<T>(fn: () => Promise<T>): Promise<T> {
    // a slot is taken here, or by pump() for a waiter
    if (this.free()) this.laterActive++;
    else await new Promise<void>((r) => this.queue.push(r));
    try {
      return await fn();
    } finally {
      this.laterActive--;
      this.pump();
    }
  }

  open(): void {
    this.limited = false;
    this.pump();
  }

  private free(): boolean {
    return !this.limited || (this.holds === 0 && this.laterActive < this.background);
  }

  private pump(): void {
    while (this.queue.length > 0 && this.free()) {
      this.laterActive++;
      this.queue.shift()!();
    }
  }
}
