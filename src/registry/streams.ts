/**
 * Stream pieces of a layer transfer: a blob download that resumes with a Range request after a broken
 * connection, a verifier that fails the stream (before its end reaches anyone downstream) when the bytes do
 * not hash to the expected digest or size, and decompression by media type (gzip, zstd, none).
 */
import { createHash } from 'node:crypto';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { invalidArgument } from '../core/errors.js';
import { isTransient } from './client/http.js';
import type { Compression } from './client/media.js';

const MAX_RESUMES = 5;

export interface BlobOpener {
  openBlob(digest: string, offset: number): Promise<{ body: Readable; partial: boolean }>;
}

/**
 * The bytes of a blob from a registry, resuming after transient failures where the last attempt stopped.
 * If a server ignores the Range header and starts again, the bytes already seen are skipped.
 */
export async function* resumableBlob(repo: BlobOpener, digest: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let offset = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      const { body, partial } = await repo.openBlob(digest, offset);
      let skip = offset > 0 && !partial ? offset : 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        let c = chunk;
        if (skip > 0) {
          if (c.length <= skip) {
            skip -= c.length;
            continue;
          }
          c = c.subarray(skip);
          skip = 0;
        }
        offset += c.length;
        yield c;
      }
      return;
    } catch (err) {
      if (signal?.aborted || !isTransient(err) || attempt >= MAX_RESUMES) throw err;
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
    }
  }
}

/**
 * Passes bytes through, hashing and counting them; at the end fails the stream if they are not `digest`
 * of `size` bytes (size -1: unknown). `onBytes` sees the running count.
 */
export function verifier(digest: string, size: number, onBytes?: (n: number) => void): Transform {
  const hash = createHash('sha256');
  let n = 0;
  return new Transform({
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (size >= 0 && n > size) {
        cb(invalidArgument(`blob ${digest} is larger than its descriptor says (${size} bytes)`));
        return;
      }
      hash.update(chunk);
      onBytes?.(n);
      cb(null, chunk);
    },
    flush(cb) {
      const got = `sha256:${hash.digest('hex')}`;
      if (size >= 0 && n !== size) cb(invalidArgument(`blob ${digest}: got ${n} bytes, expected ${size} (truncated download)`));
      else if (got !== digest) cb(invalidArgument(`digest mismatch for blob ${digest}: the content hashes to ${got}`));
      else cb();
    },
  });
}

/** A decompressing stream for a layer's compression. */
export function decompressor(c: Compression): Transform {
  if (c === 'gzip') return createGunzip({ chunkSize: 256 << 10 });
  if (c === 'none') return new PassThrough({ highWaterMark: 1 << 20 });
  let push: ((b: Buffer) => void) | undefined;
  const z = new ZstdDecompress((chunk) => push?.(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)));
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      push = (b) => this.push(b);
      try {
        z.push(chunk);
        cb();
      } catch (err) {
        cb(invalidArgument(`invalid zstd data: ${(err as Error).message}`));
      }
    },
    flush(cb) {
      push = (b) => this.push(b);
      try {
        z.push(new Uint8Array(0), true);
        cb();
      } catch (err) {
        cb(invalidArgument(`invalid zstd data: ${(err as Error).message}`));
      }
    },
  });
}
