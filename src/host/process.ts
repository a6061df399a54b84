/**
 * Running host programs: the one place that spawns processes. `run` waits for a program and gives its
 * output, or throws a HostCommandError with its exit status and stderr; `startProcess` hands back the
 * child for the few callers that keep talking to it (conmon's sync pipes).
 *
 * A command may run in another network namespace: `netns` names a process whose namespace to enter
 * (through nsenter), or a namespace file (/run/netns/x, /proc/<pid>/ns/net).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { BerthError } from '../core/errors.js';

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
      if (code === 0 && !timedOut && !overflow) return resolve({ stdout: Buffer.concat(out).toString(), stderr: err });
      const how = timedOut ? `timed out after ${opts.timeoutMs} ms` : overflow ? 'too much output'
        : code !== null ? `exit status ${code}` : `killed by ${signal}`;
      reject(new HostCommandError(name, code, signal, timedOut || overflow ? '' : err, how));
    });
    child.stdin!.on('error', () => undefined); // a program that exits without reading its input
    child.stdin!.end(opts.input ?? '');
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
