/**
 * A native helper kept as a child process and spoken to in requests: each request is its fields, each
 * ended by a NUL, on the helper's stdin; each answer is one line on its stdout, in the order of the
 * requests. berth-mountd and berth-netd speak it.
 *
 * Lifecycle: the helper is spawned when the first request comes (and again if it died); an idle helper
 * never keeps the daemon (or a test) alive, since the event loop is held only while answers are awaited;
 * close() ends it (it exits when its stdin closes). Requests waiting when it dies are rejected.
 *
 * A tagged helper (berth-spawnd) answers out of order: send() puts a tag of its own first in each request,
 * and each answer line starts with its request's tag and a space.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BerthError } from '../core/errors.js';

interface Pending { resolve(line: string): void; reject(e: Error): void }

/** The answers to one request of a tagged helper: `line` gets each, and says whether it was the last. */
export interface AnswerStream { line(answer: string): boolean; reject(e: Error): void }

export class HelperProcess {
  private child?: ChildProcess;
  private readonly pending: Pending[] = [];
  private readonly tagged = new Map<string, AnswerStream>();
  private nextTag = 0;
  private buf = '';

  /** `onExit` runs when a helper process ends, before the waiting requests are rejected */
  constructor(private readonly path: string, private readonly name: string, private readonly onExit?: () => void,
    private readonly opts: { tagged?: boolean } = {}) {}

  private waiting(): number { return this.pending.length + this.tagged.size; }

  /** hands an answer line to the request it is for */
  private take(line: string): void {
    if (!this.opts.tagged) {
      this.pending.shift()?.resolve(line);
      return;
    }
    const sp = line.indexOf(' ');
    const tag = sp < 0 ? line : line.slice(0, sp);
    const s = this.tagged.get(tag);
    if (s?.line(sp < 0 ? '' : line.slice(sp + 1))) this.tagged.delete(tag);
  }

  private ensure(): ChildProcess {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    const child = spawn(this.path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.buf = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      this.buf += d;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        this.take(line);
        if (this.waiting() === 0) this.hold(child, false);
      }
    });
    const gone = () => {
      if (this.child === child) {
        this.child = undefined;
        this.onExit?.();
      }
      const lost = [...this.pending.splice(0), ...this.tagged.values()];
      this.tagged.clear();
      for (const p of lost) p.reject(new BerthError('Internal', `${this.name} exited`));
    };
    child.on('exit', gone);
    child.on('error', gone);
    child.stdin!.on('error', () => undefined);
    (child.stdin as unknown as { unref?(): void }).unref?.();
    this.hold(child, false);
    this.child = child;
    return child;
  }

  /** keeps the event loop alive while answers are awaited, and only then */
  private hold(child: ChildProcess, on: boolean): void {
    const out = child.stdout as unknown as { ref?(): void; unref?(): void };
    if (on) { child.ref(); out.ref?.(); } else { child.unref(); out.unref?.(); }
  }

  /** Sends one request; resolves with its answer line (without a tagged helper's tag). A field holding a NUL is refused unsent. */
  send(fields: string[], onTag?: (tag: string) => void): Promise<string> {
    if (!this.opts.tagged) {
      if (fields.some((f) => f.includes('\0'))) return Promise.reject(new BerthError('InvalidArgument', `${this.name}: NUL in a request`));
      const child = this.ensure();
      return new Promise((resolve, reject) => {
        this.pending.push({ resolve, reject });
        this.hold(child, true);
        child.stdin!.write(fields.map((f) => `${f}\0`).join(''));
      });
    }
    return new Promise((resolve, reject) => {
      const tag = this.open(fields, { line: (a) => { resolve(a); return true; }, reject });
      if (tag !== undefined) onTag?.(tag);
    });
  }

  /**
   * Sends one request to a tagged helper, whose answers go to `answers` until it says the last came;
   * returns the request's tag (undefined when it was refused: a field holding a NUL).
   */
  open(fields: string[], answers: AnswerStream): string | undefined {
    if (fields.some((f) => f.includes('\0'))) {
      answers.reject(new BerthError('InvalidArgument', `${this.name}: NUL in a request`));
      return undefined;
    }
    const child = this.ensure();
    const tag = `t${this.nextTag++}`;
    this.tagged.set(tag, answers);
    this.hold(child, true);
    child.stdin!.write(`${tag}\0${fields.map((f) => `${f}\0`).join('')}`);
    return tag;
  }

  /** Writes a request that gets no answer (a tagged helper's control requests, tagged "-") to a running helper. */
  post(fields: string[]): void {
    if (fields.some((f) => f.includes('\0')) || !this.child) return;
    this.child.stdin!.write(`-\0${fields.map((f) => `${f}\0`).join('')}`);
  }

  close(): void {
    this.child?.stdin?.end();
  }
}
