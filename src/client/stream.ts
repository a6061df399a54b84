/**
 * Docker's stream framings, shared by the client (reading) and the daemon (writing).
 *
 * Multiplexed stream (attach/logs/exec without a tty): each frame is an 8-byte header
 * `[stream type, 0, 0, 0, uint32 BE payload length]` followed by the payload.
 * Stream types: 0 stdin, 1 stdout, 2 stderr, 3 systemerr (an error from the daemon, ends the stream).
 *
 * JSON message stream (events, image import/load/pull): concatenated JSON values, usually one a line.
 */
import type { Readable } from 'node:stream';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const SYSTEMERR = 3;
export type StreamType = typeof STDIN | typeof STDOUT | typeof STDERR | typeof SYSTEMERR;

export const MULTIPLEXED_CONTENT_TYPE = 'application/vnd.docker.multiplexed-stream';
export const RAW_CONTENT_TYPE = 'application/vnd.docker.raw-stream';

const HEADER_LEN = 8;

/** One frame of the multiplexed stream: header and payload. */
export function muxFrame(stream: StreamType, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER_LEN);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

export interface Frame {
  stream: StreamType;
  payload: Buffer;
}

/**
 * Incremental demultiplexer: feed it chunks as they arrive with push(), it returns the complete frames.
 * Frames split across chunks are reassembled; a frame is never returned before its last byte arrived.
 */
export class Demuxer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= HEADER_LEN) {
      const len = this.buf.readUInt32BE(off + 4);
      if (this.buf.length - off - HEADER_LEN < len) break;
      const type = this.buf[off] as number;
      if (type > SYSTEMERR) throw new Error(`unrecognized stream type: ${type}`);
      frames.push({ stream: type as StreamType, payload: this.buf.subarray(off + HEADER_LEN, off + HEADER_LEN + len) });
      off += HEADER_LEN + len;
    }
    this.buf = off === 0 ? this.buf : Buffer.from(this.buf.subarray(off));
    return frames;
  }

  /** Bytes held back, waiting for the rest of their frame. */
  get pending(): number {
    return this.buf.length;
  }
}

/** Reads a multiplexed stream frame by frame. */
export async function* demuxFrames(src: AsyncIterable<Buffer | string>): AsyncGenerator<Frame> {
  const d = new Demuxer();
  for await (const chunk of src) {
    for (const f of d.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) yield f;
  }
}

/** Where demultiplexed output goes. */
export interface OutputSinks {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Copies a multiplexed stream to stdout/stderr, waiting for drain. Resolves at the end of the stream;
 * a systemerr frame rejects with its text (docker reports it as an error, not as output).
 */
export async function demuxTo(src: AsyncIterable<Buffer | string>, out: OutputSinks): Promise<void> {
  for await (const f of demuxFrames(src)) {
    if (f.stream === SYSTEMERR) throw new Error(f.payload.toString().trimEnd());
    await writeAll(f.stream === STDERR ? out.stderr : out.stdout, f.payload);
  }
}

/** Copies a raw stream (tty) to one writable, waiting for drain. */
export async function copyTo(src: AsyncIterable<Buffer | string>, out: NodeJS.WritableStream): Promise<void> {
  for await (const chunk of src) await writeAll(out, chunk);
}

export function writeAll(out: NodeJS.WritableStream, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = out.write(data, (err) => (err ? reject(err) : undefined));
    if (ok) resolve();
    else out.once('drain', () => resolve());
  });
}

/**
 * Incremental decoder of a stream of concatenated JSON values (Go's json.Decoder accepts
 * `{..}{..}` as well as `{..}\n{..}\n`). Only objects and arrays are recognised as values.
 */
export class JsonStreamDecoder {
  private text = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  push(chunk: Buffer | string): unknown[] {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const out: unknown[] = [];
    for (let i = this.scanned; i < this.text.length; i++) {
      const c = this.text[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') {
        if (this.depth === 0) this.start = i;
        this.depth++;
      } else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) {
          out.push(JSON.parse(this.text.slice(this.start, i + 1)));
        }
      }
    }
    if (this.depth === 0) this.text = '';
    else {
      this.text = this.text.slice(this.start);
      this.start = 0;
    }
    this.scanned = this.text.length;
    return out;
  }
}

/** Parses a JSON message stream into values of type T. */
export async function* jsonStream<T>(src: Readable | AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  const dec = new JsonStreamDecoder();
  for await (const chunk of src as AsyncIterable<Buffer | string>) {
    for (const v of dec.push(chunk)) yield v as T;
  }
}
