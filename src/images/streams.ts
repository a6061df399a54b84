/** Stream helpers of image import/export: decompression by magic bytes, and a tee with backpressure. */
import * as fs from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidArgument, unavailable } from '../core/errors.js';

/**
 * Returns the stream decompressed if it starts with the gzip, bzip2 or xz magic, as is otherwise (as
 * Docker's DecompressStream; bzip2 and xz through the system's `bzip2 -dc` and `xz -dc`, streamed). zstd
 * is refused with InvalidArgument.
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
  if (kind === 'bzip2' || kind === 'xz') return Readable.from(external(kind, raw), { objectMode: false });
  if (kind) throw invalidArgument(`${kind} compressed archives are not supported`);
  return raw;
}

/** `bzip2 -dc` / `xz -dc` over a stream; a tool that fails ends the output with its message. */
async function* external(kind: 'bzip2' | 'xz', raw: Readable): AsyncGenerator<Buffer> {
  const { spawn } = await import('node:child_process');
  const child = spawn(kind, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let spawnError: Error | undefined;
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-2000); });
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  child.on('error', (e) => { spawnError = e; });
  const feeding = pipeline(raw, child.stdin).catch(() => undefined); // EPIPE when the tool stops early
  let finished = false;
  try {
    for await (const c of child.stdout) yield c as Buffer;
    finished = true;
  } finally {
    if (!finished) {
      child.kill('SIGKILL');
      raw.destroy();
    }
    await feeding;
    const code = await closed;
    if (finished && (spawnError || code !== 0)) {
      throw invalidArgument(`${kind} decompression failed: ${spawnError?.message ?? (stderr.trim() || `exit code ${code}`)}`);
    }
  }
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
