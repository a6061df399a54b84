import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planCopy, type CopyItem } from './copy.js';
import { ownedNewDirs } from './ownnew.js';

const owner = { uid: 1000, gid: 1000 };
const names = (items: CopyItem[]) => items.map((it) => `${it.name} ${it.kind === 'dir' ? `${it.owner?.uid}:${it.owner?.gid} ${it.mode.toString(8)}` : ''}`.trim());

test('ownedNewDirs: the missing ones of ownNew, shallow first, owned; existing ones and directory items left out', async () => {
  const have = new Set(['/have', '/lnk']);
  const asked: string[] = [];
  const exists = async (p: string) => { asked.push(p); return have.has(p); };
  const items: CopyItem[] = [
    { kind: 'dir', name: 'x/y/z/', mode: 0o755, mtime: new Date() },
    { kind: 'file', host: '/f', name: 'have/n/f', mode: 0o644, size: 1, mtime: new Date() },
  ];
  const got = await ownedNewDirs(items, new Set(['x/y/z', 'have/n', 'have', 'a/b/c', 'a/b', 'a']), owner, exists);
  assert.deepEqual(names(got), ['a 1000:1000 755', 'a/b 1000:1000 755', 'have/n 1000:1000 755', 'a/b/c 1000:1000 755']);
  // below a missing directory nothing is asked again
  assert.deepEqual(asked.sort(), ['/a', '/have', '/have/n']);
  // root's copies make nothing of their own: the extraction's missing parents are root's already
  assert.deepEqual(await ownedNewDirs(items, new Set(['a']), { uid: 0, gid: 0 }, exists), []);
});

test('planCopy: a directory an archive unpacked before exists for the sources after it (Docker copies them in order)', async () => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'bt-ownnew-'));
  try {
    await fsp.writeFile(path.join(dir, 'f'), 'hi\n');
    // a minimal ustar archive: one empty file
    const h = Buffer.alloc(512);
    h.write('e', 0);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write('00000000000\0', 124);
    h.write('00000000000\0', 136);
    h.write('0', 156);
    h.write('ustar\x0000', 257);
    h.fill(' ', 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    await fsp.writeFile(path.join(dir, 'a.tar'), Buffer.concat([h, Buffer.alloc(1024)]));
    const plan = (sources: string[], dest: string) => planCopy({ dir }, { sources, dest, destIsDir: true, isContext: true, exclude: [], unpack: true, parents: false, inline: [], hash: false });
    assert.deepEqual([...(await plan(['a.tar', 'f'], '/m/n/')).ownNew], []);
    assert.deepEqual([...(await plan(['f', 'a.tar'], '/k/l/')).ownNew].sort(), ['k', 'k/l']);
    // ADD of an archive alone: --chown leaves its directories root's
    assert.deepEqual([...(await plan(['a.tar'], '/p/q/')).ownNew], []);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
