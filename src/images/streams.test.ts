import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import test, { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { isKind } from '../core/errors.js';
import { maybeDecompress, tee } from './streams.js';
import { globRegExp } from '../core/glob.js';
import { goArch } from '../core/platform.js';

async function readAll(r: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

describe('util', () => {
  it('detects gzip by magic and passes other data through', async () => {
    assert.equal(await readAll(await maybeDecompress(Readable.from([gzipSync('hello world')]))), 'hello world');
    assert.equal(await readAll(await maybeDecompress(Readable.from([Buffer.from('pl'), Buffer.from('ain')]))), 'plain');
    assert.equal(await readAll(await maybeDecompress(Readable.from([]))), '');
    // bzip2 and xz through the system's tools, streamed; a broken stream fails the reader, zstd is refused
    for (const tool of ['bzip2', 'xz']) {
      const packed = execFileSync(tool, ['-c'], { input: 'x'.repeat(200000) });
      const chunks = [packed.subarray(0, 3), packed.subarray(3, 100), packed.subarray(100)];
      assert.equal(await readAll(await maybeDecompress(Readable.from(chunks))), 'x'.repeat(200000), tool);
    }
    await assert.rejects(readAll(await maybeDecompress(Readable.from([Buffer.from('BZh91AY')]))), (e) => isKind(e, 'InvalidArgument') && /bzip2 decompression failed/.test((e as Error).message));
    await assert.rejects(maybeDecompress(Readable.from([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])])), (e) => isKind(e, 'InvalidArgument'));
    await assert.rejects(readAll(await maybeDecompress(Readable.from([Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5])]))));
  });

  it('matches globs like path.Match', () => {
    assert.ok(globRegExp('busy*').test('busybox'));
    assert.ok(!globRegExp('busy*').test('busy/box'));
    assert.ok(globRegExp('b?sybox:[0-9]*').test('busybox:1.36'));
    assert.ok(globRegExp('a.b').test('a.b') && !globRegExp('a.b').test('axb'));
  });

  it('maps node architectures to Go names', () => {
    assert.equal(goArch('x64'), 'amd64');
    assert.equal(goArch('arm64'), 'arm64');
    assert.equal(goArch('ia32'), '386');
  });
});

test('tee: both readers get every byte; a source that failed before the readers attach fails them instead of hanging', async () => {
  const collect = async (r: AsyncIterable<Buffer>) => { const parts: Buffer[] = []; for await (const c of r) parts.push(c); return Buffer.concat(parts).toString(); };
  const [a, b] = tee(Readable.from([Buffer.from('one '), Buffer.from('two')]));
  assert.deepEqual(await Promise.all([collect(a), collect(b)]), ['one two', 'one two']);
  const broken = new PassThrough();
  broken.on('error', () => {});
  broken.destroy(new Error('digest mismatch'));
  await new Promise((r) => setImmediate(r));
  const [c, d] = tee(broken);
  const results = await Promise.allSettled([collect(c), collect(d)]);
  assert.deepEqual(results.map((x) => x.status), ['rejected', 'rejected']);
  assert.match(String((results[0] as PromiseRejectedResult).reason), /digest mismatch/);
});
