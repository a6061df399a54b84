/**
 * Programs started through berth-spawnd (native/spawnd.c), kept as a child and spoken to in tagged
 * requests, instead of a fork of berthd per program: the fork and exec of a 50-70 MB Node process
 * blocks the daemon's only thread for 7 to 15 ms on the machines measured (bench/README.md, issue 16),
 * the helper's a fraction of a millisecond. Several programs run at once; each answer comes when its
 * program ends.
 *
 * Without the helper (not built, or BERTH_SPAWND=0) `spawnDaemon()` is null and process.ts spawns with
 * Node, as before. Wire format: native/spawnd.c; lifecycle: HelperProcess (helperproc.ts).
 */
import { constants } from 'node:os';
import { BerthError } from '../core/errors.js';
import { HelperProcess } from './helperproc.js';
import { sharedHelper } from './native.js';

/**
 * conmon started for an exec: `ready` is the attach pipe's first line (and stderr so far), `pid` and
 * `exit` the sync pipe's first and second lines (undefined: it closed first); `release` writes the
 * start pipe's second byte, which lets conmon run the process.
 */
export interface ExecStarted {
  ready: Promise<{ line?: string; stderr: string }>;
  pid: Promise<string | undefined>;
  exit: Promise<string | undefined>;
  release(): void;
}

/** A program that ran to its end. */
export interface SpawnedResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** A program that could not start, worded and coded as Node words its spawn errors ("spawn ip ENOENT"). */
export class SpawnError extends Error {
  constructor(readonly code: string, file: string) {
    super(`spawn ${file} ${code}`);
  }
}

/** conmon started: the first line of its sync pipe (undefined: it closed without one) and its stderr so far */
export interface ConmonStarted {
  syncLine?: string;
  stderr: string;
}

const errnoName = new Map(Object.entries(constants.errno).map(([k, v]) => [v, k]));
const signalName = new Map(Object.entries(constants.signals).map(([k, v]) => [v, k as NodeJS.Signals]));

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

const field = (s: string): Buffer => (s === '-' ? Buffer.alloc(0) : Buffer.from(s, 'base64'));
/** an "e ERRNO" answer: the program could not start */
const startError = (errno: string | undefined, file: string) => new SpawnError(errnoName.get(Number(errno)) ?? `errno ${errno}`, file);
const unexpected = (answer: string) => new BerthError('Internal', `berth-spawnd: unexpected answer ${JSON.stringify(answer)}`);

/** a "r" request's answer (pure, for tests) */
export function parseRunAnswer(answer: string, file: string): SpawnedResult | SpawnError {
  const [kind, num, out, err] = answer.split(' ');
  const n = Number(num);
  if (kind === 'e') return startError(num, file);
  if ((kind !== 'x' && kind !== 's') || !Number.isInteger(n) || out === undefined || err === undefined) throw unexpected(answer);
  return {
    code: kind === 'x' ? n : null,
    signal: kind === 's' ? signalName.get(n) ?? 'SIGKILL' : null,
    stdout: field(out),
    stderr: field(err),
  };
}

/** a "c" request's answer (pure, for tests) */
export function parseConmonAnswer(answer: string, file: string): ConmonStarted | SpawnError {
  const [kind, a, b] = answer.split(' ');
  if (kind === 'e') return startError(a, file);
  if (kind !== 'c' || a === undefined || b === undefined) throw unexpected(answer);
  return { syncLine: a === '-' ? undefined : field(a).toString(), stderr: field(b).toString() };
}

export class SpawnDaemon {
  private readonly proc: HelperProcess;

  constructor(helper: string) {
    this.proc = new HelperProcess(helper, 'berth-spawnd', undefined, { tagged: true });
  }

  /**
   * Runs `file` (searched in PATH when it has no slash) to its end, `input` on its stdin. `started` gets
   * a function that sends the program a signal while it runs (a timeout's SIGKILL).
   */
  async run(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Buffer },
    started?: (kill: (signal: number) => void) => void): Promise<SpawnedResult> {
    const env = opts.env ? Object.entries(opts.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`) : undefined;
    const fields = ['r', opts.cwd ?? '', opts.input === undefined ? '' : opts.input.toString(),
      ...(env ? [String(env.length), ...env] : ['-1']), String(args.length + 1), file, ...args];
    const answer = await this.proc.send(fields, (tag) => started?.((signal) => this.proc.post(['k', tag, String(signal)])));
    const r = parseRunAnswer(answer, file);
    if (r instanceof SpawnError) throw r;
    return r;
  }

  /** Starts conmon with stderr and the sync pipe (fd 3) to the helper, `env` added to the daemon's own. */
  async conmon(file: string, args: string[], opts: { cwd: string; env: Record<string, string> }): Promise<ConmonStarted> {
    const env = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
    const r = parseConmonAnswer(await this.proc.send(['c', opts.cwd, String(env.length), ...env, String(args.length + 1), file, ...args]), file);
    if (r instanceof SpawnError) throw r;
    return r;
  }

  /** Starts conmon for an exec: stderr, the sync pipe (fd 3), the start pipe (fd 4) and the attach pipe (fd 5) to the helper. */
  exec(file: string, args: string[], opts: { cwd: string; env: Record<string, string> }): ExecStarted {
    const env = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
    const ready = deferred<{ line?: string; stderr: string }>();
    const pid = deferred<string | undefined>();
    const exit = deferred<string | undefined>();
    const all = [ready, pid, exit];
    const tag = this.proc.open(['x', opts.cwd, String(env.length), ...env, String(args.length + 1), file, ...args], {
      line: (answer) => {
        let r;
        try {
          r = parseExecAnswer(answer, file);
        } catch (e) {
          for (const d of all) d.reject(e as Error);
          return true;
        }
        if (r instanceof SpawnError) {
          for (const d of all) d.reject(r);
          return true;
        }
        if (r.kind === 'a') ready.resolve({ line: r.line, stderr: r.stderr });
        else if (r.kind === 'p') pid.resolve(r.line);
        else exit.resolve(r.line);
        return r.kind === 'z';
      },
      reject: (e) => { for (const d of all) d.reject(e); },
    });
    // nobody may wait for the later answers (a failed start): no unhandled rejections
    for (const d of all) d.promise.catch(() => undefined);
    let released = false;
    return {
      ready: ready.promise,
      pid: pid.promise,
      exit: exit.promise,
      release: () => {
        if (released || tag === undefined) return;
        released = true;
        this.proc.post(['g', tag]);
      },
    };
  }
}

/** "a", "p" or "z" answers of an exec, in that order (pure, for tests): the kind and the decoded line */
export function parseExecAnswer(answer: string, file: string): { kind: 'a' | 'p' | 'z'; line?: string; stderr: string } | SpawnError {
  const [kind, a, b] = answer.split(' ');
  if (kind === 'e') return startError(a, file);
  if ((kind !== 'a' && kind !== 'p' && kind !== 'z') || a === undefined) throw unexpected(answer);
  return { kind, line: a === '-' ? undefined : field(a).toString(), stderr: b === undefined ? '' : field(b).toString() };
}

/** The daemon's one spawn helper, started on first use; null without one (not built, or BERTH_SPAWND=0). */
export const spawnDaemon = sharedHelper('berth-spawnd', () => process.env.BERTH_SPAWND === '0', (helper) => new SpawnDaemon(helper));
