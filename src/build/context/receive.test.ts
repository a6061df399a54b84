import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { entryName, receiveContext } from './receive.js';

type E = { name: string; type?: 'file' | 'directory' | 'symlink'; body?: string | Buffer; linkname?: string; mode?: number; mtime?: Date };

async function tarOf(entries: E[]): Promise<Readable> {
  const pack = tar.pack();
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : e.body ?? Buffer.alloc(0);
    pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644), mtime: e.mtime ?? new Date(1_700_000_000_000) }, body);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Readable.from([Buffer.concat(chunks)]);
}

/** Every path under `dir` with what it is: `f <content>`, `d`, `l <target>`, plus its mode. */
async function tree(dir: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of (await fsp.readdir(path.join(dir, rel))).sort()) {
    const r = rel ? `${rel}/${n}` : n;
    const st = await fsp.lstat(path.join(dir, r));
    if (st.isDirectory()) {
      out[r] = `d ${(st.mode & 0o7777).toString(8)}`;
      Object.assign(out, await tree(dir, r));
    } else if (st.isSymbolicLink()) out[r] = `l ${await fsp.readlink(path.join(dir, r))}`;
    else out[r] = `f ${(st.mode & 0o7777).toString(8)} ${st.mtimeMs} ${await fsp.readFile(path.join(dir, r), 'utf8')}`;
  }
  return out;
}

async function withDirs(fn: (base: string) => Promise<void>): Promise<void> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'bt-recv-'));
  try {
    await fn(base);
  } finally {
    await fsp.rm(base, { recursive: true, force: true });
  }
}

const V1: E[] = [
  { name: 'Dockerfile', body: 'FROM busybox\n' },
  { name: 'src', type: 'directory' },
  { name: 'src/a.txt', body: 'alpha\n' },
  { name: 'src/b.txt', body: 'beta\n' },
  { name: 'src/sub/c.txt', body: 'gamma\n' }, // a parent with no entry of its own
  { name: 'gone/x.txt', body: 'x\n' },
  { name: 'link', type: 'symlink', linkname: 'src/a.txt' },
  { name: 'big.bin', body: Buffer.alloc(3 << 20, 7) },
];

test('a context received again into the same directory: only changes are written; the result is a fresh receive\'s', async () => {
  await withDirs(async (base) => {
    const dir = path.join(base, 'ctx');
    await fsp.mkdir(dir);
    const first = await receiveContext(await tarOf(V1), dir);
    assert.equal(first.written, 6);
    const sum = first.index.get('src/a.txt');
    assert.deepEqual(sum && sum.type === 'file' ? sum.sum : '', createHash('sha256').update('alpha\n').digest('hex'));
    assert.equal(first.index.get('src/sub')?.type, 'dir');

    const same = await receiveContext(await tarOf(V1), dir, undefined, first.index);
    assert.equal(same.written, 0);

    const V2: E[] = [
      { name: 'Dockerfile', body: 'FROM busybox\n' },
      { name: 'src', type: 'directory' },
      { name: 'src/a.txt', body: 'alpha\n', mode: 0o600, mtime: new Date(1_700_000_100_000) }, // metadata only
      { name: 'src/b.txt', body: 'BETA\n' }, // content
      { name: 'src/sub', body: 'now a file\n' }, // a directory replaced by a file
      { name: 'gone', type: 'symlink', linkname: '/' }, // a directory replaced by a symlink: x.txt must not be removed through it
      { name: 'link', type: 'symlink', linkname: 'src/b.txt' },
      { name: 'big.bin', body: Buffer.alloc(3 << 20, 8) }, // a large file, changed
    ];
    const again = await receiveContext(await tarOf(V2), dir, undefined, same.index);
    assert.equal(again.written, 3);
    const fresh = path.join(base, 'fresh');
    await fsp.mkdir(fresh);
    const ref = await receiveContext(await tarOf(V2), fresh);
    assert.deepEqual(await tree(dir), await tree(fresh));
    assert.deepEqual([...again.index.entries()].sort(), [...ref.index.entries()].sort());
    assert.equal(await fsp.stat(`${dir}.part`).catch(() => undefined), undefined);

    // and back: a file's directory comes again, below a path that was a file
    const back = await receiveContext(await tarOf(V1), dir, undefined, again.index);
    const fresh1 = path.join(base, 'fresh1');
    await fsp.mkdir(fresh1);
    await receiveContext(await tarOf(V1), fresh1);
    assert.deepEqual(await tree(dir), await tree(fresh1));
    assert.ok(back.written < 8);
  });
});

test('a large unchanged file is compared, not rewritten', async () => {
  await withDirs(async (base) => {
    const dir = path.join(base, 'ctx');
    await fsp.mkdir(dir);
    const entries: E[] = [{ name: 'big.bin', body: Buffer.alloc(5 << 20, 1) }];
    const first = await receiveContext(await tarOf(entries), dir);
    const ino = (await fsp.stat(path.join(dir, 'big.bin'))).ino;
    const again = await receiveContext(await tarOf(entries), dir, undefined, first.index);
    assert.equal(again.written, 0);
    assert.equal((await fsp.stat(path.join(dir, 'big.bin'))).ino, ino);
  });
});

test('context tar entries: `..` is refused, absolute names are relative', () => {
  assert.equal(entryName('/etc/passwd'), 'etc/passwd');
  assert.equal(entryName('./a/./b/'), 'a/b');
  assert.throws(() => entryName('../x'), /leaves the context/);
  assert.throws(() => entryName('a/../../x'), /leaves the context/);
});
