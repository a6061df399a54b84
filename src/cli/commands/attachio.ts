/**
 * The local end of a hijacked attach/exec stream: container output to the local stdout/stderr
 * (demultiplexed unless tty), local stdin to the container (half-closed at EOF), raw terminal mode,
 * terminal resizes, detach keys and signal proxying.
 */
import { spawnSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { copyTo, demuxTo } from '../../client/stream.js';
import type { Ctx } from '../context.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** docker's term.ToBytes: "ctrl-p,ctrl-q" -> [16, 17]. */
export function detachKeyBytes(keys: string): number[] {
  const out: number[] = [];
  for (const k of keys.split(',')) {
    const key = k.trim();
    if (key.length > 5 && key.startsWith('ctrl-')) {
      const c = key.slice(5);
      if (c.length !== 1) throw new Error(`Unknown character: '${key}'`);
      const code = c.toLowerCase().charCodeAt(0);
      if (code >= 97 && code <= 122) out.push(code - 96);
      else if ('@[\\]^_'.includes(c)) out.push('@[\\]^_'.indexOf(c) === 0 ? 0 : 26 + '@[\\]^_'.indexOf(c));
      else throw new Error(`Unknown character: '${key}'`);
    } else if (key.length === 1) out.push(key.charCodeAt(0));
    else throw new Error(`Unknown character: '${key}'`);
  }
  return out;
}

export interface PumpOptions {
  socket: Socket;
  tty: boolean;
  /** send local stdin to the container */
  stdin: boolean;
  detachKeys?: string;
}

export interface PumpResult {
  /** the user typed the detach sequence */
  detached: boolean;
}

/** Puts the local terminal in raw mode when it is one; returns the restore function. */
export function rawMode(ctx: Ctx): () => void {
  const input = ctx.stdin;
  if (!input.isTTY) return () => undefined;
  input.setRawMode(true);
  // libuv's raw mode keeps output post-processing (ONLCR): the container's tty already sends \r\n
  if (input === process.stdin) spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  return () => {
    try {
      input.setRawMode(false);
    } catch {
      // the terminal went away
    }
  };
}

/** Resizes now and on every local terminal resize; returns the stop function. */
export function monitorTtySize(ctx: Ctx, resize: (h: number, w: number) => Promise<void>): () => void {
  const out = ctx.stdout;
  if (!out.isTTY) return () => undefined;
  const send = () => {
    const [w, h] = out.getWindowSize();
    resize(h, w).catch(() => undefined);
  };
  send();
  out.on('resize', send);
  return () => out.off('resize', send);
}

/** Forwards the signals docker forwards (all catchable ones but SIGCHLD/SIGPIPE/SIGURG/SIGWINCH). */
export function proxySignals(kill: (signal: string) => Promise<void>): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGCONT', 'SIGTSTP'];
  const handlers = signals.map((s) => {
    const h = () => {
      kill(s).catch(() => undefined);
    };
    process.on(s, h);
    return [s, h] as const;
  });
  return () => {
    for (const [s, h] of handlers) process.off(s, h);
  };
}

/** Runs both directions until the container's output ends (or the user detaches). */
export async function pumpStreams(ctx: Ctx, opts: PumpOptions): Promise<PumpResult> {
  const { socket } = opts;
  let detached = false;
  let stopInput = () => undefined as void;
  if (opts.stdin) {
    const input = ctx.stdin;
    const keys = opts.tty ? detachKeyBytes(opts.detachKeys || DEFAULT_DETACH_KEYS) : [];
    let matched = 0;
    const onData = (chunk: Buffer) => {
      if (keys.length > 0) {
        // withhold a possible detach sequence until it is complete or broken
        let out = Buffer.alloc(0);
        for (const b of chunk) {
          if (b === keys[matched]) {
            matched++;
            if (matched === keys.length) {
              detached = true;
              socket.destroy();
              return;
            }
            continue;
          }
          if (matched > 0) out = Buffer.concat([out, Buffer.from(keys.slice(0, matched))]);
          matched = 0;
          out = Buffer.concat([out, Buffer.from([b])]);
        }
        if (out.length > 0 && !socket.destroyed) socket.write(out);
        return;
      }
      if (!socket.destroyed && !socket.write(chunk)) {
        input.pause();
        socket.once('drain', () => input.resume());
      }
    };
    const onEnd = () => {
      if (!socket.destroyed) socket.end();
    };
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
    stopInput = () => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
    };
  }
  try {
    if (opts.tty) await copyTo(socket, ctx.stdout);
    else await demuxTo(socket, { stdout: ctx.stdout, stderr: ctx.stderr });
  } catch (err) {
    if (!detached) throw err;
  } finally {
    stopInput();
  }
  return { detached };
}
