/**
 * The little of RFC 6455 (WebSocket) that GET /containers/{id}/attach/ws needs: the handshake's accept
 * key, server frames (never masked, never fragmented) and a parser for client frames (always masked;
 * fragments are passed on as they come, their opcode being continuation). Pure.
 */
import { createHash } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** Sec-WebSocket-Accept for a client's Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** One final, unmasked frame. */
export function encodeFrame(opcode: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (n < 126) head[1] = n;
  else if (n < 65536) { head[1] = 126; head.writeUInt16BE(n, 2); } else { head[1] = 127; head.writeBigUInt64BE(BigInt(n), 2); }
  return Buffer.concat([head, payload]);
}

export interface Frame { opcode: number; fin: boolean; payload: Buffer }

/** Client frames out of a byte stream; `push` returns the frames completed by a chunk. */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly maxPayload = 16 << 20) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    for (;;) {
      if (this.buf.length < 2) return out;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return out;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return out;
        const big = this.buf.readBigUInt64BE(2);
        if (big > BigInt(this.maxPayload)) throw new Error('websocket frame too large');
        len = Number(big);
        off = 10;
      }
      if (len > this.maxPayload) throw new Error('websocket frame too large');
      const masked = (b1 & 0x80) !== 0;
      const need = off + (masked ? 4 : 0) + len;
      if (this.buf.length < need) return out;
      const payload = Buffer.from(this.buf.subarray(need - len, need));
      if (masked) {
        const mask = this.buf.subarray(off, off + 4);
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      }
      out.push({ opcode: b0 & 0x0f, fin: (b0 & 0x80) !== 0, payload });
      this.buf = this.buf.subarray(need);
    }
  }
}
