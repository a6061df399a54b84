import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Demuxer, JsonStreamDecoder, muxFrame, STDERR, STDOUT } from './stream.js';

test('Demuxer reassembles frames split across chunks', () => {
  const data = Buffer.concat([muxFrame(STDOUT, 'hello\n'), muxFrame(STDERR, 'oops\n'), muxFrame(STDOUT, '')]);
  for (let cut = 0; cut <= data.length; cut++) {
    const d = new Demuxer();
    const frames = [...d.push(data.subarray(0, cut)), ...d.push(data.subarray(cut))];
    assert.deepEqual(
      frames.map((f) => [f.stream, f.payload.toString()]),
      [
        [STDOUT, 'hello\n'],
        [STDERR, 'oops\n'],
        [STDOUT, ''],
      ],
    );
    assert.equal(d.pending, 0);
  }
});

test('muxFrame header is [type,0,0,0,len BE]', () => {
  assert.deepEqual([...muxFrame(STDERR, 'ab')], [2, 0, 0, 0, 0, 0, 0, 2, 97, 98]);
});

test('JsonStreamDecoder handles newline-delimited and concatenated values split anywhere', () => {
  const text = '{"stream":"Loaded image: x\\n"}\n{"a":"}{"}{"b":[1,{"c":2}]}\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const d = new JsonStreamDecoder();
    const out = [...d.push(text.slice(0, cut)), ...d.push(text.slice(cut))];
    assert.deepEqual(out, [{ stream: 'Loaded image: x\n' }, { a: '}{' }, { b: [1, { c: 2 }] }]);
  }
});
