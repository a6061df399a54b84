import { execFile } from 'node:child_process';
import { internal } from '../errors.js';

/** Runs a command, resolving with stdout; rejects with an Internal error carrying stderr. */
export function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(internal(`${cmd} ${args.join(' ')}: ${(stderr || err.message).trim()}`, err));
      else resolve(stdout);
    });
  });
}

/** Serializes async work per key (a key may be '' for a global lock). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
