/**
 * Running host programs: the one place that spawns processes. `run` waits for a program and gives its
 * output, or throws a HostCommandError with its exit status and stderr; `startProcess` hands back the
 * child for the few callers that keep talking to it (conmon's sync pipes).
 *
 * A command may run in another network namespace: `netns` names a process whose namespace to enter
 * (through nsenter), or a namespace file (/run/netns/x, /proc/<pid>/ns/net).
 *
 * Programs are started by berth-spawnd (spawnd.ts) where it is built, so the daemon's thread does not
 * fork; else (or for input holding a NUL) by Node.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { BerthError } from '../core/errors.js';
import { spawnDaemon, type SpawnDaemon } from './spawnd.js';

export interface RunOptions {
  /** written to the program's stdin, which is then closed */
  input?: string | Buffer;
  /** run in this network namespace: a pid, or the path of a namespace file */
  netns?: number | string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** kill the program (SIGKILL) after this many milliseconds */
  timeoutMs?: number;
  /** the most stdout kept (default 64 MiB); more is an error */
  maxBuffer?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** A host program failed: it could not start, exited non-zero, was killed, or timed out. */
export class HostCommandError extends BerthError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string,
    how: string,
    cause?: unknown,
  ) {
    super('Internal', `${command}: ${stderr.trim() || how}`, { cause });
  }
}

/** the argv that runs `cmd args` in the namespace `netns` */
export function inNetns(cmd: string, args: string[], netns?: number | string): [string, string[]] {
  if (netns === undefined) return [cmd, args];
  const target = typeof netns === 'number' ? ['-t', String(netns), '-n'] : [`--net=${netns}`];
  return ['nsenter', [...target, cmd, ...args]];
}

/** A short name for messages: the program and its first non-flag argument ("runc delete"). */
function label(cmd: string, args: string[]): string {
  const sub = args.find((a) => !a.startsWith('-'));
  return sub ? `${path.basename(cmd)} ${sub}` : path.basename(cmd);
}

/** Runs a program to its end; resolves with its output when it exits 0. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, argv] = inNetns(cmd, args, opts.netns);
  const name = label(cmd, args);
  const helper = spawnDaemon();
  const input = opts.input ?? '';
  if (helper && !(typeof input === 'string' ? input.includes('\0') : input.includes(0)) && argv.length < 4000) return runThrough(helper, name, file, argv, opts);
  const max = opts.maxBuffer ?? 64 << 20;
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outLen = 0;
    let err = '';
    let timedOut = false;
    let overflow = false;
    const timer = opts.timeoutMs ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs) : undefined;
    child.stdout!.on('data', (d: Buffer) => {
      outLen += d.length;
      if (outLen > max) { overflow = true; child.kill('SIGKILL'); return; }
      out.push(d);
    });
    child.stderr!.on('data', (d: Buffer) => { if (err.length < 1 << 16) err += d.toString(); });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new HostCommandError(name, null, null, '', e.message, e));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      settle(resolve, reject, name, { code, signal, stdout: Buffer.concat(out), stderr: err }, opts, timedOut, overflow);
    });
    child.stdin!.on('error', () => undefined); // a program that exits without reading its input
    child.stdin!.end(input);
  });
}

/** The end of a run, either way it was started: output, or the HostCommandError that says why not. */
function settle(resolve: (r: RunResult) => void, reject: (e: Error) => void, name: string,
  r: { code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }, opts: RunOptions, timedOut: boolean, overflow: boolean): void {
  if (r.code === 0 && !timedOut && !overflow) return resolve({ stdout: r.stdout.toString(), stderr: r.stderr });
  const how = timedOut ? `timed out after ${opts.timeoutMs} ms` : overflow ? 'too much output'
    : r.code !== null ? `exit status ${r.code}` : `killed by ${r.signal}`;
  reject(new HostCommandError(name, r.code, r.signal, timedOut || overflow ? '' : r.stderr, how));
}

function runThrough(helper: SpawnDaemon, name: string, file: string, argv: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    helper.run(file, argv, { cwd: opts.cwd, env: opts.env, input: opts.input }, (kill) => {
      if (opts.timeoutMs) timer = setTimeout(() => { timedOut = true; kill(9); }, opts.timeoutMs);
    }).then((r) => {
      clearTimeout(timer);
      const overflow = r.stdout.length > (opts.maxBuffer ?? 64 << 20);
      settle(resolve, reject, name, { ...r, stderr: r.stderr.subarray(0, 1 << 16).toString() }, opts, timedOut, overflow);
    }, (e: Error) => {
      clearTimeout(timer);
      reject(new HostCommandError(name, null, null, '', e.message, e));
    });
  });
}

/** Runs a program and gives its stdout (the common case). */
export async function output(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return (await run(cmd, args, opts)).stdout;
}

/** Starts a program and hands back the child, for callers that talk to it over extra pipes. */
export function startProcess(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
  return spawn(cmd, args, opts);
}
