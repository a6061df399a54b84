/**
 * Scope, TreePacker and Extractor on real directories: every way a container's links can name a host
 * path resolves inside the root, mounts show at their destinations, and hostile archives write nothing
 * outside the destination.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import * as tar from 'tar-stream';
import { Extractor, checkEntries, readTar } from './extract.js';
import { archiveOwner } from './owners.js';
import { coalesce, packInto, TreePacker } from './pack.js';
import { Scope } from './scope.js';

async function fixture(t: { after(fn: () => Promise<void>): void }) {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-scope-'));
  t.after(() => fsp.rm(base, { recursive: true, force: true }));
  const root = path.join(base, 'root');
  const host = path.join(base, 'host');
  const vol = path.join(base, 'vol');
  for (const d of [root, host, vol, path.join(root, 'etc'), path.join(root, 'data')]) await fsp.mkdir(d, { recursive: true });
  await fsp.writeFile(path.join(host, 'secret'), 'host');
  await fsp.writeFile(path.join(root, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
  await fsp.writeFile(path.join(vol, 'v'), 'volume');
  await fsp.symlink(host, path.join(root, 'abs'));
  await fsp.symlink(`${'../'.repeat(10)}${host.slice(1)}`, path.join(root, 'data/rel'));
  await fsp.symlink('/abs', path.join(root, 'chain'));
  await fsp.symlink('/etc', path.join(root, 'etclink'));
  return { base, root, host, vol };
}

type TarSpec = { name: string; type?: 'file' | 'symlink' | 'directory' | 'link'; body?: string; linkname?: string; uid?: number; gid?: number };

async function tarOf(entries: TarSpec[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: 0o644, uid: e.uid ?? 0, gid: e.gid ?? 0 }, e.body ?? '');
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const c of pack) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

test('resolution stays inside the root: absolute links, relative escapes, chains, ..', async (t) => {
  const f = await fixture(t);
  const s = await Scope.open(f.root);
  t.after(() => s.close());
  for (const p of ['/abs/secret', '/data/rel/secret', '/chain/secret', `/../../..${f.host}/secret`]) {
    await assert.rejects(s.resolve(p), /no such file or directory/);
    const r = await s.resolve(p, { partial: true });
    assert.equal(r.entry.stats, undefined, `${p} does not exist in the container`);
    assert.equal(r.entry.ctr, `${f.host}/secret`, `${p} resolves to the container path ${f.host}/secret`);
    await s.release(r.parent);
  }
  const r = await s.resolve('/etclink/passwd');
  assert.equal(r.entry.ctr, '/etc/passwd');
  assert.ok(r.entry.stats?.isFile());
  await s.release(r.parent);
  assert.equal(await s.readFile('/etclink/passwd'), 'root:x:0:0::/:/bin/sh\n');
  assert.equal(await s.readFile('/abs/secret'), undefined);
  await assert.rejects(s.resolve('/etc/passwd/x', { follow: true }), /not a directory/);
});

test('mounts show at their destinations; .. from a mount goes back to the rootfs', async (t) => {
  const f = await fixture(t);
  const s = await Scope.open(f.root, [{ destination: '/data/vol', source: f.vol, rw: true }]);
  t.after(() => s.close());
  assert.equal(await s.readFile('/data/vol/v'), 'volume');
  assert.equal(await s.readFile('/data/vol/../vol/v'), 'volume');
  assert.equal(await s.readFile('/data/vol/../../etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
});

test('TreePacker archives in scope: links as links, hardlinks once, mounts included', async (t) => {
  const f = await fixture(t);
  await fsp.link(path.join(f.root, 'etc/passwd'), path.join(f.root, 'etc/hard'));
  const s = await Scope.open(f.root, [{ destination: '/data/vol', source: f.vol, rw: true }]);
  t.after(() => s.close());
  const pack = tar.pack();
  const r = await s.resolve('/');
  const writing = new TreePacker(s, pack).entry(r.entry, '').then(() => pack.finalize());
  const headers = new Map<string, tar.Header>();
  for await (const e of readTar(Readable.from(pack))) {
    headers.set(e.header.name, e.header);
    e.resume();
  }
  await writing;
  assert.equal(headers.get('abs')?.type, 'symlink');
  assert.equal(headers.get('abs')?.linkname, f.host);
  assert.equal(headers.get('etc/hard')?.type, 'file', 'the first name in the walk carries the content');
  assert.equal(headers.get('etc/passwd')?.type, 'link');
  assert.equal(headers.get('etc/passwd')?.linkname, 'etc/hard');
  assert.equal(headers.get('data/vol/v')?.size, 6);
  assert.ok(![...headers.keys()].some((n) => n.includes('secret')), 'nothing of the host directory');
});

test('TreePacker: the local walk (synchronous reads, a layer) and the async one give the same tar, chunks gathered or not', async (t) => {
  const f = await fixture(t);
  await fsp.link(path.join(f.root, 'etc/passwd'), path.join(f.root, 'etc/hard'));
  // files on both sides of the size read whole, one that a symlink replaced, an empty one, a fifo
  await fsp.writeFile(path.join(f.root, 'data/big'), Buffer.alloc((256 << 10) + 1, 7));
  await fsp.writeFile(path.join(f.root, 'data/edge'), Buffer.alloc(256 << 10, 9));
  await fsp.writeFile(path.join(f.root, 'data/empty'), '');
  await fsp.chmod(path.join(f.root, 'data/edge'), 0o4750);
  const packed = async (local: boolean, gather: boolean) => {
    const s = await Scope.open(f.root);
    try {
      const parts: Buffer[] = [];
      const sink = new Writable({ write(c: Buffer, _e, cb) { parts.push(c); cb(); } });
      await packInto(async (pack) => new TreePacker(s, pack, { local }).entry(await s.rootEntry(), ''), ...(gather ? [coalesce(4096), sink] : [sink]));
      return { tar: Buffer.concat(parts), chunks: parts.length };
    } finally {
      await s.close();
    }
  };
  const a = await packed(false, false);
  const b = await packed(true, true);
  assert.ok(b.tar.equals(a.tar), 'the same bytes');
  assert.ok(b.chunks < a.chunks / 2, `${b.chunks} chunks gathered from ${a.chunks}`);
  const names: string[] = [];
  for await (const e of readTar(Readable.from([b.tar]))) {
    names.push(`${e.header.name} ${e.header.type} ${e.header.size} ${(e.header.mode ?? 0).toString(8)}`);
    e.resume();
  }
  assert.ok(names.includes('data/big file 262145 644'), names.join('\n'));
  assert.ok(names.includes('data/edge file 262144 4750'), names.join('\n'));
  assert.ok(names.includes('data/empty file 0 644'), names.join('\n'));
  assert.ok(names.includes('etc/passwd link 0 644'), names.join('\n'));
});

test('Extractor: hostile entries are refused before anything is written; links are replaced, not followed', async (t) => {
  const f = await fixture(t);
  const s = await Scope.open(f.root);
  t.after(() => s.close());
  const dest = await s.openPath('/data');
  const bad = await tarOf([{ name: 'ok' }, { name: '../../escape' }]);
  await assert.rejects(checkEntries(readTar(Readable.from(bad)), '/data'), /"..\/..\/escape" is outside of "\/data"/);
  await assert.rejects(checkEntries(readTar(Readable.from(await tarOf([{ name: 'l', type: 'symlink', linkname: '../../x' }]))), '/data'), /invalid symlink/);
  assert.equal(existsSync(path.join(f.root, 'data/ok')), false);
  await fsp.symlink(path.join(f.host, 'secret'), path.join(f.root, 'data/victim'));
  const good = await tarOf([
    { name: '/abs-name', body: 'a' },
    { name: 'victim', body: 'replaced' },
    { name: 'rel/through', body: 'in' },
    { name: 'hl', type: 'link', linkname: 'abs-name' },
  ]);
  await new Extractor(s, dest, { noOverwriteDirNonDir: true }).run(readTar(Readable.from(good)));
  assert.equal(await fsp.readFile(path.join(f.root, 'data/abs-name'), 'utf8'), 'a');
  assert.equal(await fsp.readFile(path.join(f.root, 'data/victim'), 'utf8'), 'replaced');
  assert.equal((await fsp.lstat(path.join(f.root, 'data/victim'))).isSymbolicLink(), false);
  assert.equal(await fsp.readFile(path.join(f.root, f.host, 'through'), 'utf8'), 'in', 'written through the link, inside the root');
  assert.equal((await fsp.stat(path.join(f.root, 'data/hl'))).ino, (await fsp.stat(path.join(f.root, 'data/abs-name'))).ino);
  assert.deepEqual(await fsp.readdir(f.host), ['secret']);
  assert.equal(await fsp.readFile(path.join(f.host, 'secret'), 'utf8'), 'host');
  await fsp.mkdir(path.join(f.root, 'data/adir'));
  await assert.rejects(new Extractor(s, dest, { noOverwriteDirNonDir: true }).run(readTar(Readable.from(await tarOf([{ name: 'adir' }])))), /cannot overwrite directory "\/data\/adir"/);
  await s.release(dest);
});

test('userns-remap: extraction shifts owners into the maps (implied parents too); packing shifts them back', async (t) => {
  const f = await fixture(t);
  const idMap = { uids: [{ containerID: 0, hostID: 400000, size: 65536 }], gids: [{ containerID: 0, hostID: 400000, size: 65536 }] };
  const s = await Scope.open(f.root);
  t.after(() => s.close());
  const dest = await s.openPath('/data');
  const good = await tarOf([
    { name: 'implied/deep/f', uid: 1000, gid: 50, body: 'x' },
    { name: 'r', body: 'r' },
    { name: 'l', type: 'symlink', linkname: 'r', uid: 7, gid: 8 },
  ]);
  await checkEntries(readTar(Readable.from(good)), '/data', idMap);
  await new Extractor(s, dest, { noOverwriteDirNonDir: true, idMap }).run(readTar(Readable.from(good)));
  const own = async (p: string) => { const st = await fsp.lstat(path.join(f.root, 'data', p)); return `${st.uid}:${st.gid}`; };
  assert.equal(await own('implied/deep/f'), '401000:400050');
  assert.equal(await own('implied'), '400000:400000', 'a parent the archive implies belongs to the remapped root');
  assert.equal(await own('implied/deep'), '400000:400000');
  assert.equal(await own('r'), '400000:400000');
  assert.equal(await own('l'), '400007:400008');
  // copyUIDGID: the container user's ids, shifted the same way
  await new Extractor(s, dest, { noOverwriteDirNonDir: true, idMap, chown: { uid: 1000, gid: 1000 } }).run(readTar(Readable.from(await tarOf([{ name: 'by-user' }]))));
  assert.equal(await own('by-user'), '401000:401000');
  // an id outside the maps: Docker's error, before anything is written
  const bad = await tarOf([{ name: 'first' }, { name: 'second', uid: 70000 }]);
  await assert.rejects(checkEntries(readTar(Readable.from(bad)), '/data', idMap), (e: Error) => e.message === 'Container ID 70000 cannot be mapped to a host ID');
  await checkEntries(readTar(Readable.from(bad)), '/data'); // without maps any id goes
  assert.equal(existsSync(path.join(f.root, 'data/first')), false);
  await s.release(dest);
  // packing: host ids back to container ids; an unmapped one (root's file) as the overflow id
  await fsp.writeFile(path.join(f.root, 'data/host-owned'), 'h');
  const out = tar.pack();
  const r = await s.resolve('/data');
  const writing = new TreePacker(s, out, { owner: (st) => archiveOwner(st, idMap, 'overflow') }).entry(r.entry, 'data').then(() => out.finalize());
  const headers = new Map<string, tar.Header>();
  for await (const e of readTar(Readable.from(out))) {
    headers.set(e.header.name, e.header);
    e.resume();
  }
  await writing;
  await s.release(r.parent);
  assert.deepEqual([headers.get('data/implied/deep/f')?.uid, headers.get('data/implied/deep/f')?.gid], [1000, 50]);
  assert.deepEqual([headers.get('data/implied/')?.uid, headers.get('data/l')?.uid, headers.get('data/l')?.gid], [0, 7, 8]);
  assert.deepEqual([headers.get('data/host-owned')?.uid, headers.get('data/host-owned')?.gid], [65534, 65534]);
});
