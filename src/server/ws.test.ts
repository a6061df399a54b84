import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptKey, encodeFrame, FrameParser, OP } from './ws.js';

test('the accept key of RFC 6455\'s example', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

/** a client frame: masked, as browsers and websocket-client send them */
function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | n]) : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, n >> 8, n & 255]);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i & 3]))]);
}

test('server frames: short, 16-bit and 64-bit lengths, unmasked', () => {
  assert.deepEqual(encodeFrame(OP.binary, Buffer.from('hi')), Buffer.from([0x82, 2, 0x68, 0x69]));
  const mid = encodeFrame(OP.text, Buffer.alloc(300, 1));
  assert.deepEqual([...mid.subarray(0, 4)], [0x81, 126, 1, 44]);
  const big = encodeFrame(OP.binary, Buffer.alloc(70000));
  assert.equal(big[1], 127);
  assert.equal(big.readBigUInt64BE(2), 70000n);
  assert.equal(big.length, 70010);
});

test('client frames are unmasked, across chunk boundaries', () => {
  const p = new FrameParser();
  const bytes = Buffer.concat([clientFrame(OP.text, Buffer.from('echo hi\n')), clientFrame(OP.binary, Buffer.alloc(200, 7)), clientFrame(OP.close, Buffer.from([3, 232]))]);
  const frames = [...p.push(bytes.subarray(0, 5)), ...p.push(bytes.subarray(5, 40)), ...p.push(bytes.subarray(40))];
  assert.deepEqual(frames.map((f) => f.opcode), [OP.text, OP.binary, OP.close]);
  assert.equal(frames[0].payload.toString(), 'echo hi\n');
  assert.deepEqual(frames[1].payload, Buffer.alloc(200, 7));
  assert.equal(frames[2].fin, true);
});

test('a frame past the size limit is refused', () => {
  const p = new FrameParser(10);
  assert.throws(() => p.push(clientFrame(OP.binary, Buffer.alloc(20))), /too large/);
});
