/**
 * In-process locks for async work. KeyedLock serialises work per key (one container, one network, one
 * snapshot); Mutex is the one-key case. A failed holder never blocks the next one. (SharedLock, the
 * readers-writer lock, is in sharedlock.ts.)
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` after every earlier `run` with the same key has settled. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.tails.set(key, next);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === next) this.tails.delete(key);
    }
  }

  /** whether some work holds or waits for `key` */
  busy(key: string): boolean {
    return this.tails.has(key);
  }
}

/** Serialises async work: each `run` starts after the previous one settled. */
export class Mutex {
  private readonly lock = new KeyedLock();

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run('', fn);
  }
}
