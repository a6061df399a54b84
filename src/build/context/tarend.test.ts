import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { completeTarEnd } from './tarend.js';

async function packed(entries: [string, string][]): Promise<Buffer> {
  const p = tar.pack();
  for (const [name, body] of entries) p.entry({ name }, body);
  p.finalize();
  const out: Buffer[] = [];
  for await (const c of p) out.push(c as Buffer);
  return Buffer.concat(out);
}

async function read(buf: Buffer, chunk = 100): Promise<[string, string][]> {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  const ex = tar.extract();
  Readable.from(parts).pipe(completeTarEnd()).pipe(ex);
  const got: [string, string][] = [];
  for await (const e of ex) {
    const b: Buffer[] = [];
    for await (const c of e) b.push(c as Buffer);
    got.push([e.header.name, Buffer.concat(b).toString()]);
  }
  return got;
}

test('a tar without its last padding and end blocks (docker build -f -) reads whole; a cut inside data still fails', async () => {
  const entries: [string, string][] = [['a', 'x'.repeat(700)], ['.dockerfile.123', 'FROM busybox\n']];
  const full = await packed(entries);
  assert.deepEqual(await read(full), entries);
  // what moby's ReplaceFileTarWrapper sends: the last entry's data, then nothing
  const lastData = full.length - 2 * 512 - 512 + 'FROM busybox\n'.length;
  assert.deepEqual(await read(full.subarray(0, lastData), 7), entries);
  assert.deepEqual(await read(full.subarray(0, full.length - 1024)), entries);
  await assert.rejects(read(full.subarray(0, lastData - 3)), /Unexpected end of data/);
  await assert.rejects(read(full.subarray(0, 600)), /Unexpected end of data/);
});
