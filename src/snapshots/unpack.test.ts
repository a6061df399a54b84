import { getAttribute } from '@napi-rs/xattr';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../core/errors.js';
import { entryComponents, unpackLayer } from './unpack.js';
import { digestOf, makeTar, type TestEntry } from './testutil.js';

describe('entryComponents', () => {
  it('normalizes and refuses escapes', () => {
    assert.deepEqual(entryComponents('./a//b/./c/'), ['a', 'b', 'c']);
    assert.deepEqual(entryComponents('./'), []);
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', 'a/..']) {
      assert.throws(() => entryComponents(bad), (e) => isKind(e, 'InvalidArgument'), bad);
    }
  });
});

describe('unpackLayer', () => {
  let tmp: string;
  let outside: string;
  let n = 0;
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-unpack-'));
    outside = path.join(tmp, 'outside');
    await fs.mkdir(outside);
    await fs.writeFile(path.join(outside, 'victim'), 'original');
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  async function unpack(entries: TestEntry[]) {
    const dest = path.join(tmp, `dest${n++}`);
    await fs.mkdir(dest);
    const buf = await makeTar(entries);
    return { dest, buf, res: unpackLayer(Readable.from([buf]), dest) };
  }

  async function assertOutsideUntouched() {
    assert.deepEqual((await fs.readdir(outside)).sort(), ['victim']);
    assert.equal(await fs.readFile(path.join(outside, 'victim'), 'utf8'), 'original');
  }

  it('unpacks files, dirs, links, devices and metadata and hashes the stream', async () => {
    const { dest, buf, res } = await unpack([
      { name: './', type: 'directory', mode: 0o755 },
      { name: 'bin/', type: 'directory', mode: 0o750, uid: 2, gid: 3 },
      { name: 'bin/tool', type: 'file', content: 'abc', mode: 0o4755, uid: 1000, gid: 1000 },
      { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
      { name: 'bin/soft', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
      { name: 'deep/a/b', content: 'x' },
    ]);
    const r = await res;
    assert.equal(r.digest, digestOf(buf));
    assert.equal(r.size, 4);
    const tool = await fs.lstat(path.join(dest, 'bin/tool'));
    assert.equal(tool.mode & 0o7777, 0o4755);
    assert.equal(tool.uid, 1000);
    assert.equal(tool.mtimeMs, 1700000000000);
    assert.equal(tool.nlink, 2);
    const bin = await fs.lstat(path.join(dest, 'bin'));
    assert.equal(bin.mode & 0o7777, 0o750);
    assert.equal(bin.uid, 2);
    assert.equal(bin.mtimeMs, 1700000000000);
    assert.equal(await fs.readlink(path.join(dest, 'bin/soft')), '/etc/passwd');
    const dev = await fs.lstat(path.join(dest, 'dev/null'));
    assert.ok(dev.isCharacterDevice());
    assert.equal(dev.rdev, (1 << 8) | 3);
    assert.ok((await fs.lstat(path.join(dest, 'run/fifo'))).isFIFO());
    assert.equal(await fs.readFile(path.join(dest, 'deep/a/b'), 'utf8'), 'x');
  });

  it('converts OCI whiteouts to overlay whiteouts', async () => {
    const { dest, res } = await unpack([
      { name: 'etc/.wh.gone', content: '' },
      { name: 'opq/', type: 'directory' },
      { name: 'opq/.wh..wh..opq', content: '' },
      { name: 'opq/kept', content: 'k' },
      { name: '.wh..wh.plnk', type: 'directory' },
    ]);
    await res;
    const wh = await fs.lstat(path.join(dest, 'etc/gone'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.equal((await getAttribute(path.join(dest, 'opq'), 'trusted.overlay.opaque'))?.toString(), 'y');
    assert.deepEqual(await fs.readdir(dest), ['etc', 'opq']);
    assert.deepEqual(await fs.readdir(path.join(dest, 'opq')), ['kept']);
  });

  const malicious: [string, TestEntry[]][] = [
    ['dot-dot entry', [{ name: '../outside/pwned', content: 'x' }]],
    ['nested dot-dot entry', [{ name: 'a/../../outside/pwned', content: 'x' }]],
    ['absolute entry', [{ name: '/tmp/pwned', content: 'x' }]],
    ['write through a symlinked dir', [{ name: 'link', type: 'symlink', linkname: '' }, { name: 'link/pwned', content: 'x' }]],
    ['write through a relative symlink', [{ name: 'up', type: 'symlink', linkname: '..' }, { name: 'up/outside/pwned', content: 'x' }]],
    ['hardlink escaping', [{ name: 'h', type: 'link', linkname: '../outside/victim' }]],
    ['hardlink through symlink', [{ name: 'link', type: 'symlink', linkname: '' }, { name: 'h', type: 'link', linkname: 'link/victim' }]],
    ['whiteout through symlink', [{ name: 'link', type: 'symlink', linkname: '' }, { name: 'link/.wh.victim', content: '' }]],
    ['whiteout of the parent itself', [{ name: 'a/.wh..', content: '' }]],
    ['whiteout of dot', [{ name: 'a/.wh..', content: '' }, { name: 'b/.wh.', content: '' }]],
    ['dir through symlink', [{ name: 'link', type: 'symlink', linkname: '' }, { name: 'link/newdir', type: 'directory' }]],
    // a directory seen earlier in the layer, replaced by a symlink later: what was known of it is forgotten
    ['write through a dir replaced by a symlink', [{ name: 'a/b/', type: 'directory' }, { name: 'a/b/x', content: 'x' }, { name: 'a', type: 'symlink', linkname: '' }, { name: 'a/pwned', content: 'x' }]],
    ['write through a dir whited out then a symlink', [{ name: 'd/', type: 'directory' }, { name: 'd/x', content: 'x' }, { name: '.wh.d', content: '' }, { name: 'd', type: 'symlink', linkname: '' }, { name: 'd/pwned', content: 'x' }]],
    ['write through a dir replaced by a file, then a symlink', [{ name: 'e/f/', type: 'directory' }, { name: 'e', content: 'x' }, { name: 'e', type: 'symlink', linkname: '' }, { name: 'e/f/pwned', content: 'x' }]],
    ['hardlink through a dir replaced by a symlink', [{ name: 'g/', type: 'directory' }, { name: 'g/x', content: 'x' }, { name: 'g', type: 'symlink', linkname: '' }, { name: 'h', type: 'link', linkname: 'g/victim' }]],
  ];
  for (const [title, entries] of malicious) {
    it(`rejects ${title}`, async () => {
      const fixed = entries.map((e) => (e.type === 'symlink' && e.linkname === '' ? { ...e, linkname: outside } : e));
      const { res } = await unpack(fixed);
      await assert.rejects(res, (e) => isKind(e, 'InvalidArgument'));
      await assertOutsideUntouched();
    });
  }

  it('replaces an existing symlink instead of writing through it', async () => {
    const { dest, res } = await unpack([
      { name: 'v', type: 'symlink', linkname: path.join(outside, 'victim') },
      { name: 'v', content: 'replaced', mode: 0o777 },
      { name: 'd', type: 'symlink', linkname: outside },
      { name: 'd', type: 'directory' },
    ]);
    await res;
    await assertOutsideUntouched();
    assert.equal(await fs.readFile(path.join(dest, 'v'), 'utf8'), 'replaced');
    assert.ok((await fs.lstat(path.join(dest, 'd'))).isDirectory());
  });

  it('shifts every owner into the id maps (userns-remap), implied parents to the remapped root', async () => {
    const idMap = { uids: [{ containerID: 0, hostID: 400000, size: 65536 }], gids: [{ containerID: 0, hostID: 500000, size: 1000 }, { containerID: 1000, hostID: 700000, size: 64536 }] };
    const dest = path.join(tmp, `dest${n++}`);
    await fs.mkdir(dest);
    const buf = await makeTar([
      { name: './', type: 'directory', mode: 0o755 },
      { name: 'etc/passwd', content: 'root', mode: 0o644 },
      { name: 'home/u/', type: 'directory', mode: 0o700, uid: 1000, gid: 1000 },
      { name: 'home/u/link', type: 'symlink', linkname: '/etc/passwd', uid: 1000, gid: 5 },
      { name: 'tool', content: 'x', mode: 0o4755, uid: 0, gid: 0 },
      { name: 'etc/.wh.gone', content: '' },
    ]);
    await unpackLayer(Readable.from([buf]), dest, { idMap });
    const own = async (p: string) => { const st = await fs.lstat(path.join(dest, p)); return [st.uid, st.gid]; };
    assert.deepEqual(await own('.'), [400000, 500000]);
    assert.deepEqual(await own('etc'), [400000, 500000]); // no entry of its own
    assert.deepEqual(await own('etc/passwd'), [400000, 500000]);
    assert.deepEqual(await own('home/u'), [401000, 700000]);
    assert.deepEqual(await own('home/u/link'), [401000, 500005]);
    assert.deepEqual(await own('etc/gone'), [400000, 500000]);
    // chown clears set-id bits: the mode is applied after the shifted owner
    assert.equal((await fs.lstat(path.join(dest, 'tool'))).mode & 0o7777, 0o4755);
  });

  it('refuses an owner outside the id maps with Docker\'s error', async () => {
    const dest = path.join(tmp, `dest${n++}`);
    await fs.mkdir(dest);
    const buf = await makeTar([{ name: 'f', content: 'x', uid: 70000, gid: 0 }]);
    const idMap = { uids: [{ containerID: 0, hostID: 400000, size: 65536 }], gids: [{ containerID: 0, hostID: 400000, size: 65536 }] };
    await assert.rejects(unpackLayer(Readable.from([buf]), dest, { idMap }), /Container ID 70000 cannot be mapped to a host ID/);
  });

  it('fails on a truncated archive', async () => {
    const dest = path.join(tmp, 'trunc');
    await fs.mkdir(dest);
    const buf = await makeTar([{ name: 'big', content: Buffer.alloc(4096, 1) }]);
    await assert.rejects(unpackLayer(Readable.from([buf.subarray(0, 1024)]), dest));
  });
});
