/**
 * A tar stream completed at its end the way Go's archive/tar reader forgives it. The docker CLI's
 * `-f -` rewrites the context tar (moby's ReplaceFileTarWrapper) and closes its pipe before the tar
 * writer: the last entry's padding and the two zero blocks never come. dockerd reads that archive;
 * tar-stream calls it "Unexpected end of data". This pass-through follows the entries' headers and, when
 * the stream ends after an entry's data (in its padding or at a header boundary), adds the missing
 * padding and the end-of-archive blocks. A stream cut inside an entry's data stays cut: that is an error.
 */
import { Transform, type TransformCallback } from 'node:stream';

const BLOCK = 512;

/** An entry's size from its header: octal, or GNU base-256 (high bit set). */
function headerSize(h: Buffer): number {
  const f = h.subarray(124, 136);
  if (f[0]! & 0x80) {
    let n = 0;
    for (let i = 1; i < f.length; i++) n = n * 256 + f[i]!;
    return n;
  }
  const s = f.toString('latin1').replace(/[\0 ]+$/, '').trim();
  return s ? parseInt(s, 8) : 0;
}

export function completeTarEnd(): Transform {
  let header = Buffer.alloc(0);
  /** bytes of the current entry's data still to come, then of its padding */
  let data = 0;
  let pad = 0;
  let ended = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      let i = 0;
      while (i < chunk.length && !ended) {
        if (data > 0 || pad > 0) {
          const take = Math.min(chunk.length - i, data > 0 ? data : pad);
          if (data > 0) data -= take;
          else pad -= take;
          i += take;
          continue;
        }
        const take = Math.min(chunk.length - i, BLOCK - header.length);
        header = Buffer.concat([header, chunk.subarray(i, i + take)]);
        i += take;
        if (header.length < BLOCK) continue;
        if (header.every((b) => b === 0)) ended = true;
        else {
          data = headerSize(header);
          pad = (BLOCK - (data % BLOCK)) % BLOCK;
        }
        header = Buffer.alloc(0);
      }
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      // cut inside a header or inside data: left as it is, for the reader to refuse
      if (ended || header.length > 0 || data > 0) return cb();
      cb(null, Buffer.alloc(pad + 2 * BLOCK));
    },
  });
}
