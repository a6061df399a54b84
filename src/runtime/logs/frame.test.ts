import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Demuxer, demux, frameStream } from './frame.js';

test('frameStream header', () => {
  assert.deepEqual([...frameStream(1, 'hi')], [1, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]);
  assert.deepEqual([...frameStream(2, Buffer.alloc(0))], [2, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(frameStream(1, Buffer.alloc(300)).readUInt32BE(4), 300);
});

test('Demuxer splits frames whatever the chunking', () => {
  const frames = [frameStream(1, 'hello\n'), frameStream(2, 'oops'), frameStream(1, ''), frameStream(1, Buffer.alloc(70000, 7))];
  const all = Buffer.concat(frames);
  for (const step of [1, 3, 8, 9, 4096, all.length]) {
    const d = new Demuxer();
    const got = [];
    for (let i = 0; i < all.length; i += step) got.push(...d.push(all.subarray(i, i + step)));
    d.end();
    assert.equal(got.length, 4, `step ${step}`);
    assert.deepEqual(got.slice(0, 3).map((f) => [f.stream, f.data.toString()]), [[1, 'hello\n'], [2, 'oops'], [1, '']]);
    assert.equal(got[3]?.data.length, 70000);
  }
  const d = new Demuxer();
  d.push(frameStream(1, 'abc').subarray(0, 9));
  assert.equal(d.pending, 9);
  assert.throws(() => d.end(), /inside a frame/);
  assert.throws(() => new Demuxer().push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0])), /invalid stream type/);
});

test('demux over an async source', async () => {
  async function* src() {
    yield frameStream(1, 'a');
    yield Buffer.concat([frameStream(2, 'b'), frameStream(1, 'c')]);
  }
  const out = [];
  for await (const f of demux(src())) out.push(`${f.stream}:${f.data}`);
  assert.deepEqual(out, ['1:a', '2:b', '1:c']);
});
