/** Stream helpers of image import/export: decompression by magic bytes, and a tee with backpressure. */
import * as fs from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument, unavailable } from '../core/errors.js';

/**
 * Returns the stream decompressed if it starts with the gzip magic, as is otherwise. Other compressions
 * Docker accepts (bzip2, xz, zstd) are refused with InvalidArgument.
 */
export async function maybeDecompress(input: Readable | AsyncIterable<Buffer>): Promise<Readable> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  let done = false;
  while (head.length < 6 && !done) {
    const r = await it.next();
    if (r.done) done = true;
    else head = Buffer.concat([head, Buffer.from(r.value)]);
  }
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    let finished = false;
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.from(r.value);
      finished = true;
    } finally {
      if (!finished) await it.return?.(); // the reader gave up: release the source
    }
  }
  const raw = Readable.from(replay(), { objectMode: false });
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const { createGunzip } = await import('node:zlib'); // loaded on first use, as the tar readers are
    const gunzip = createGunzip();
    pipeline(raw, gunzip).catch(() => {}); // pipeline destroys gunzip with the error, so readers see it
    return gunzip;
  }
  const kind =
    head.subarray(0, 3).toString('latin1') === 'BZh'
      ? 'bzip2'
      : head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))
        ? 'xz'
        : head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))
          ? 'zstd'
          : undefined;
  if (kind) throw invalidArgument(`${kind} compressed archives are not supported`);
  return raw;
}

/**
 * Splits one stream into two with backpressure from the slower reader. If either reader fails (is
 * destroyed), both and the source are stopped with that error.
 */
export function tee(src: Readable): [PassThrough, PassThrough] {
  const a = new PassThrough({ highWaterMark: 1 << 20 });
  const b = new PassThrough({ highWaterMark: 1 << 20 });
  const outs = [a, b];
  let failed = false;
  const fail = (err: Error) => {
    if (failed) return;
    failed = true;
    src.destroy(err);
    for (const o of outs) if (!o.destroyed) o.destroy(err);
  };
  for (const o of outs) {
    // a reader may attach after a failure: it sees the error when it does (stream.errored), not as an uncaught event
    o.on('error', () => {});
    o.on('close', () => {
      if (!o.writableFinished && !failed) fail((o as { errored?: Error | null }).errored ?? unavailable('layer reader closed early'));
    });
  }
  src.on('error', fail);
  // a source that closes without its end (destroyed, maybe before we were called) fails both readers
  let ended = false;
  src.on('end', () => { ended = true; });
  src.on('close', () => {
    if (!ended) fail(src.errored ?? unavailable('layer stream closed before its end'));
  });
  if (src.destroyed) queueMicrotask(() => fail(src.errored ?? unavailable('layer stream closed before its end')));
  src.on('data', (chunk: Buffer) => {
    let wait = 0;
    for (const o of outs) {
      if (!o.write(chunk)) {
        wait++;
        o.once('drain', () => {
          if (--wait === 0) src.resume();
        });
      }
    }
    if (wait > 0) src.pause();
  });
  src.on('end', () => {
    for (const o of outs) o.end();
  });
  return [a, b];
}
