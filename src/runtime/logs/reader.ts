/**
 * Reading a container's logs (GET /containers/{id}/logs) from conmon's k8s-file logs, rotated files
 * included. History first (tail found by scanning backwards, partial lines joined), then, with `follow`,
 * the lines appended afterwards, across rotations, until the container stops or the caller aborts.
 *
 * A "message" is one logical line: its P fragments joined with the closing F line. Its time is the time
 * of its last fragment; that time is what since/until filter on and what `timestamps` prints.
 */
import { watch, promises as fsp } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../core/errors.js';
import { FileCursor, linesBackward } from './files.js';
import { formatTimestamp, parseLogLine, unixToNs } from './line.js';
import type { LogLine, LogStream } from './line.js';

export interface ReadLogsOptions {
  /** Number of lines from the end, or 'all' (the default; negative also means all). */
  tail?: number | 'all';
  /** Unix seconds (fractional ok, or an exact "secs.nanos" string); 0 = no bound. Inclusive. */
  since?: number | string;
  until?: number | string;
  follow?: boolean;
  stdout: boolean;
  stderr: boolean;
  timestamps: boolean;
  signal?: AbortSignal;
  /** Follow ends once this is false and everything written has been read. */
  isRunning?: () => boolean | Promise<boolean>;
  /** Poll interval while following, ms (default 250). */
  pollMs?: number;
}

export interface LogChunk {
  stream: LogStream;
  data: Buffer;
}

interface Message {
  timeNs: bigint;
  stream: LogStream;
  text: Buffer;
  complete: boolean;
  seq: number;
}

interface Filter {
  streams: Set<LogStream>;
  since: bigint | null;
  until: bigint | null;
}

const inRange = (f: Filter, t: bigint) => (f.since === null || t >= f.since) && (f.until === null || t <= f.until);

/** Joins P fragments per stream. */
class Assembler {
  private pending = new Map<LogStream, { parts: Buffer[]; timeNs: bigint; seq: number }>();
  private seq = 0;

  push(l: LogLine): Message | null {
    const seq = this.seq++;
    const p = this.pending.get(l.stream);
    if (l.partial) {
      if (p) {
        p.parts.push(l.text);
        p.timeNs = l.timeNs;
        p.seq = seq;
      } else {
        this.pending.set(l.stream, { parts: [l.text], timeNs: l.timeNs, seq });
      }
      return null;
    }
    this.pending.delete(l.stream);
    const text = p ? Buffer.concat([...p.parts, l.text]) : l.text;
    return { timeNs: l.timeNs, stream: l.stream, text, complete: true, seq };
  }

  /** The unfinished messages, oldest last fragment first. */
  flush(): Message[] {
    const out = [...this.pending.entries()].map(([stream, p]) => ({ timeNs: p.timeNs, stream, text: Buffer.concat(p.parts), complete: false, seq: p.seq }));
    this.pending.clear();
    return out.sort((a, b) => a.seq - b.seq);
  }
}

function render(m: { timeNs: bigint; stream: LogStream; text: Buffer }, timestamps: boolean, newline: boolean): LogChunk {
  const parts = [m.text];
  if (timestamps) parts.unshift(Buffer.from(formatTimestamp(m.timeNs) + ' '));
  if (newline) parts.push(Buffer.from('\n'));
  return { stream: m.stream, data: parts.length === 1 ? m.text : Buffer.concat(parts) };
}

interface Position { file: number; offset: number }

/** How far back (bytes) the tail scan looks for the first fragments of a message once it has enough. */
const HEAD_SEARCH_LIMIT = 4 * 1024 * 1024;

/**
 * Where forward reading must start for the last `n` messages that pass the filter to be read whole:
 * backwards from the end until n messages are counted and the head of each of them is reached.
 */
async function findTailStart(files: string[], n: number, f: Filter): Promise<Position> {
  if (n <= 0) {
    const last = files.length - 1;
    if (last < 0) return { file: 0, offset: 0 };
    const size = await fsp.stat(files[last] as string).then((s) => s.size, () => 0);
    return { file: last, offset: size };
  }
  let count = 0;
  let exhausted = false; // reached lines older than `since`
  let scannedSinceFull = 0;
  const open = new Set<LogStream>(); // counted messages whose first fragment is still ahead (backwards)
  const seen = new Set<LogStream>();
  const full = () => count >= n || exhausted;
  for (let i = files.length - 1; i >= 0; i--) {
    for await (const { line, offset } of linesBackward(files[i] as string)) {
      const after = { file: i, offset: offset + line.length + 1 };
      if (full()) {
        scannedSinceFull += line.length + 1;
        // A message whose stream fell silent for this long is taken to have no earlier fragments.
        if (scannedSinceFull > HEAD_SEARCH_LIMIT) return after;
      }
      const l = parseLogLine(line);
      if (!l || !f.streams.has(l.stream)) continue;
      const s = l.stream;
      const wasSeen = seen.has(s);
      seen.add(s);
      if (!l.partial) {
        open.delete(s); // whatever of s follows this line starts fresh
        if (f.since !== null && l.timeNs < f.since) exhausted = true;
        if (!full() && (f.until === null || l.timeNs <= f.until)) {
          count++;
          open.add(s);
        }
      } else if (!wasSeen && !full() && inRange(f, l.timeNs)) {
        count++; // an unfinished last message
        open.add(s);
      }
      if (full() && open.size === 0) return after;
    }
  }
  return { file: 0, offset: 0 };
}

/** Wakes a follower on changes in the log's directory, or after `ms` at the latest. */
class Notifier {
  private watcher: FSWatcher | null = null;
  private wake: (() => void) | null = null;
  private dirty = false;

  constructor(file: string) {
    const base = path.basename(file);
    try {
      this.watcher = watch(path.dirname(file), { persistent: false }, (_e, name) => {
        if (name === null || String(name).startsWith(base)) this.fire();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = null; // polling only
    }
  }

  private fire(): void {
    this.dirty = true;
    this.wake?.();
  }

  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.dirty || signal?.aborted) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = null;
        this.dirty = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}

async function inode(p: string): Promise<number | null> {
  try {
    return (await fsp.stat(p)).ino;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/**
 * The log of a container as chunks ready to send (frame them with frameStream unless the container has a
 * tty). `files` are oldest first: rotated files, then the current one (which is the one followed; it need
 * not exist yet).
 */
export async function* readLogs(files: string[], opts: ReadLogsOptions): AsyncGenerator<LogChunk> {
  const f: Filter = {
    streams: new Set<LogStream>([...(opts.stdout ? ['stdout' as const] : []), ...(opts.stderr ? ['stderr' as const] : [])]),
    since: unixToNs(opts.since),
    until: unixToNs(opts.until),
  };
  if (f.streams.size === 0 || files.length === 0) return;
  const signal = opts.signal;
  const tail = opts.tail === undefined || opts.tail === 'all' || opts.tail < 0 ? null : Math.floor(opts.tail);
  const current = files[files.length - 1] as string;

  // History.
  const start = tail === null ? { file: 0, offset: 0 } : await findTailStart(files, tail, f);
  const asm = new Assembler();
  const ring: Message[] = [];
  const emitted: LogChunk[] = [];
  let pastUntil = false;
  const take = (m: Message) => {
    if (!f.streams.has(m.stream) || !inRange(f, m.timeNs)) {
      if (f.until !== null && m.timeNs > f.until) pastUntil = true;
      return;
    }
    if (tail === null) emitted.push(render(m, opts.timestamps, m.complete));
    else {
      ring.push(m);
      if (ring.length > 2 * tail + 16) ring.splice(0, ring.length - tail);
    }
  };
  let cursor: FileCursor | null = null;
  let c: FileCursor | null = null;
  try {
    for (let i = start.file; i < files.length && !pastUntil; i++) {
      c = await FileCursor.open(files[i] as string, i === start.file ? start.offset : 0);
      if (!c) continue;
      for await (const batch of c.lines()) {
        for (const raw of batch) {
          const l = parseLogLine(raw);
          if (!l) continue;
          const m = asm.push(l);
          if (m) take(m);
          if (pastUntil) break;
        }
        if (emitted.length) {
          yield* emitted.splice(0);
          if (signal?.aborted) return;
        }
        if (pastUntil) break;
      }
      if (i === files.length - 1 && opts.follow) {
        cursor = c;
        c = null;
      } else {
        // An unterminated last line is a write in progress: it is left for the next reader.
        await c.close();
        c = null;
      }
    }
    const unfinished = asm.flush();
    unfinished.forEach(take);
    if (tail !== null) {
      ring.sort((a, b) => a.seq - b.seq);
      ring.splice(0, Math.max(0, ring.length - tail));
      for (const m of ring) emitted.push(render(m, opts.timestamps, m.complete));
    }
    const continuing = new Set<LogStream>();
    for (const c of emitted) if (!c.data.subarray(-1).equals(Buffer.from('\n'))) continuing.add(c.stream);
    yield* emitted.splice(0);
    if (!opts.follow || pastUntil || signal?.aborted) return;

    // Follow: emit fragments as they come; a timestamp only at the start of a line.
    const notifier = new Notifier(current);
    const pollMs = opts.pollMs ?? 250;
    const isRunning = opts.isRunning ?? (() => true);
    let ended = false;
    const drain = async function* (cur: FileCursor): AsyncGenerator<LogChunk> {
      for await (const batch of cur.lines()) {
        for (const raw of batch) {
          const l = parseLogLine(raw);
          if (!l || !f.streams.has(l.stream)) continue;
          if (f.until !== null && l.timeNs > f.until) {
            ended = true;
            return;
          }
          if (f.since !== null && l.timeNs < f.since) continue;
          yield render(l, opts.timestamps && !continuing.has(l.stream), !l.partial);
          if (l.partial) continuing.add(l.stream);
          else continuing.delete(l.stream);
          if (signal?.aborted) return;
        }
      }
    };
    try {
      let stopping = false;
      for (;;) {
        if (cursor) {
          yield* drain(cursor);
          if (ended || signal?.aborted) return;
          // Rotated away: the writer has reopened, so the old file is final: finish it, then switch.
          const ino = await inode(current);
          if (ino !== null && ino !== cursor.ino) {
            yield* drain(cursor);
            if (ended || signal?.aborted) return;
            await cursor.close();
            cursor = await FileCursor.open(current, 0);
            continue;
          }
        } else {
          cursor = await FileCursor.open(current, 0);
          if (cursor) continue;
        }
        if (stopping || signal?.aborted) return;
        // Read once more after seeing the container stopped: it may have written just before exiting.
        if (!(await isRunning())) {
          stopping = true;
          continue;
        }
        await notifier.wait(pollMs, signal);
        if (signal?.aborted) return;
      }
    } finally {
      notifier.close();
    }
  } finally {
    await c?.close();
    await cursor?.close();
  }
}
