/**
 * Docker's multiplexed stream framing (attach and logs without a tty): every frame is an 8-byte header
 * [stream type, 0, 0, 0, uint32 big-endian payload size] then the payload. Types: 0 stdin, 1 stdout,
 * 2 stderr, 3 systemerr (a daemon error that ends the stream).
 */
import { invalidArgument } from '../../core/errors.js';

export type StreamType = 0 | 1 | 2 | 3;

export interface Frame {
  stream: StreamType;
  data: Buffer;
}

const MAX_FRAME = 0xffffffff;

/** One framed chunk (header + payload). Payloads over 4 GiB are split into several frames. */
export function frameStream(streamType: StreamType, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  if (payload.length <= MAX_FRAME) {
    const header = Buffer.alloc(8);
    header[0] = streamType;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  }
  const parts: Buffer[] = [];
  for (let off = 0; off < payload.length; off += MAX_FRAME) parts.push(frameStream(streamType, payload.subarray(off, off + MAX_FRAME)));
  return Buffer.concat(parts);
}

/**
 * Splits a framed byte stream back into frames, whatever the chunk boundaries. `push` returns the frames
 * completed by a chunk; `end` throws if the stream stopped inside a frame.
 */
export class Demuxer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= 8) {
      const type = this.buf[off] as number;
      if (type > 3) throw invalidArgument(`invalid stream type in multiplexed stream: ${type}`);
      const size = this.buf.readUInt32BE(off + 4);
      if (this.buf.length - off - 8 < size) break;
      frames.push({ stream: type as StreamType, data: Buffer.from(this.buf.subarray(off + 8, off + 8 + size)) });
      off += 8 + size;
    }
    this.buf = this.buf.subarray(off);
    return frames;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  end(): void {
    if (this.buf.length) throw invalidArgument(`multiplexed stream ended inside a frame (${this.buf.length} bytes left)`);
  }
}

/** Demultiplexes an async byte source into frames. */
export async function* demux(source: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Frame> {
  const d = new Demuxer();
  for await (const chunk of source) yield* d.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  d.end();
}
