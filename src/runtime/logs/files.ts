/**
 * Chunked line access to log files: forward from an offset (kept open across rotation by its fd) and
 * backward from the end. Neither ever holds more than one chunk plus one line in memory.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { errnoCode } from '../../core/errors.js';

export const CHUNK_SIZE = 64 * 1024;
const NL = 0x0a;

/** Reads newline-terminated lines forward from a position; the unterminated rest waits for more data. */
export class FileCursor {
  private rest: Buffer = Buffer.alloc(0);

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly ino: number,
    private pos: number,
  ) {}

  /** null when the file does not exist. */
  static async open(path: string, pos = 0): Promise<FileCursor | null> {
    let fh: FileHandle;
    try {
      fh = await fsp.open(path, 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    }
    const st = await fh.stat();
    return new FileCursor(path, fh, st.ino, pos);
  }

  /** Byte offset of the next line not yet returned. */
  get offset(): number {
    return this.pos - this.rest.length;
  }

  /** Every complete line (without "\n") up to the current end of file, a chunk's worth at a time. */
  async *lines(): AsyncGenerator<Buffer[]> {
    const chunk = Buffer.allocUnsafe(CHUNK_SIZE);
    for (;;) {
      const { bytesRead } = await this.fh.read(chunk, 0, CHUNK_SIZE, this.pos);
      if (bytesRead === 0) return;
      this.pos += bytesRead;
      const data = this.rest.length ? Buffer.concat([this.rest, chunk.subarray(0, bytesRead)]) : Buffer.from(chunk.subarray(0, bytesRead));
      const out: Buffer[] = [];
      let start = 0;
      for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL, start)) {
        out.push(data.subarray(start, nl));
        start = nl + 1;
      }
      this.rest = data.subarray(start);
      if (out.length) yield out;
    }
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

/**
 * Complete lines of a file from the last to the first, each with the offset of its first byte. An
 * unterminated last line (still being written) is skipped. Stops early when the consumer returns.
 */
export async function* linesBackward(path: string): AsyncGenerator<{ line: Buffer; offset: number }> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    let pos = size;
    let carry: Buffer = Buffer.alloc(0); // the start of a line whose end we already read
    let first = true;
    while (pos > 0) {
      const len = Math.min(CHUNK_SIZE, pos);
      pos -= len;
      const chunk = Buffer.allocUnsafe(len);
      await fh.read(chunk, 0, len, pos);
      const data = carry.length ? Buffer.concat([chunk, carry]) : chunk;
      let end = data.length;
      if (first) {
        // Drop the unterminated tail, if any.
        const lastNl = data.lastIndexOf(NL);
        end = lastNl < 0 ? 0 : lastNl + 1;
        if (lastNl < 0) {
          carry = Buffer.alloc(0);
          continue;
        }
        first = false;
      }
      // data[0..end) ends with "\n"; walk its lines backwards.
      let lineEnd = end - 1; // index of the "\n" closing the current line
      for (;;) {
        const prevNl = lineEnd > 0 ? data.lastIndexOf(NL, lineEnd - 1) : -1;
        if (prevNl < 0) break;
        yield { line: data.subarray(prevNl + 1, lineEnd), offset: pos + prevNl + 1 };
        lineEnd = prevNl;
      }
      carry = Buffer.from(data.subarray(0, lineEnd + 1));
      if (pos === 0 && lineEnd >= 0) yield { line: carry.subarray(0, lineEnd), offset: 0 };
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}
