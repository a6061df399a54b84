import { getAttribute } from '@napi-rs/xattr';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../core/errors.js';
import { OverlaySnapshotter } from './index.js';
import { digestOf, makeTar } from './testutil.js';

async function procMounts(): Promise<string> {
  return fs.readFile('/proc/mounts', 'utf8');
}

describe('OverlaySnapshotter (integration, root)', () => {
  let dataRoot: string;
  let snap: OverlaySnapshotter;
  let base: { tar: Buffer; diffID: string };
  let top: { tar: Buffer; diffID: string };

  before(async () => {
    dataRoot = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'berth-overlay-')));
    snap = await OverlaySnapshotter.open(dataRoot);
    const baseTar = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/hostname', content: 'base' },
      { name: 'etc/motd', content: 'hello' },
      { name: 'data/', type: 'directory' },
      { name: 'data/old', content: 'old' },
      { name: 'bin/', type: 'directory' },
      { name: 'bin/sh', content: '#!' , mode: 0o755 },
    ]);
    const topTar = await makeTar([
      { name: 'etc/.wh.motd', content: '' },
      { name: 'data/', type: 'directory' },
      { name: 'data/.wh..wh..opq', content: '' },
      { name: 'data/new', content: 'new' },
    ]);
    base = { tar: baseTar, diffID: digestOf(baseTar) };
    top = { tar: topTar, diffID: digestOf(topTar) };
  });

  after(async () => {
    for (const key of await snap.listMounted()) await snap.unmount(key).catch(() => {});
    await fs.rm(dataRoot, { recursive: true, force: true });
  });

  it('applies layers once, verifying the diffID', async () => {
    assert.equal(await snap.hasLayer(base.diffID), false);
    const res = await snap.applyLayer(base.diffID, Readable.from([base.tar]));
    assert.equal(res.size, 4 + 5 + 3 + 2);
    assert.equal(await snap.layerSize(base.diffID), 14);
    assert.equal(await snap.hasLayer(base.diffID), true);
    assert.deepEqual(await snap.applyLayer(base.diffID, Readable.from([base.tar])), { size: 14, diffID: base.diffID });
    // a layer whose digest is not given is named by what arrived (here: one it has already)
    assert.deepEqual(await snap.applyLayer(undefined, Readable.from([base.tar])), { size: 14, diffID: base.diffID });
    await snap.applyLayer(top.diffID, Readable.from([top.tar]));
    const p = snap.layerPath(top.diffID);
    assert.equal(path.basename(path.dirname(p)), top.diffID.slice(7, 23));
    assert.equal((await getAttribute(path.join(p, 'data'), 'trusted.overlay.opaque'))?.toString(), 'y');
  });

  it('rejects and removes a layer whose digest does not match', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(snap.applyLayer(wrong, Readable.from([base.tar])), (e) => isKind(e, 'InvalidArgument'));
    assert.equal(await snap.hasLayer(wrong), false);
    assert.deepEqual(await fs.readdir(path.join(dataRoot, 'overlay', 'tmp')), []);
    await assert.rejects(snap.layerSize(wrong), (e) => isKind(e, 'NotFound'));
  });

  it('mounts the merged view with whiteouts and opaque dirs honoured', async () => {
    const { rootfs } = await snap.prepare('c1', [base.diffID, top.diffID]);
    assert.equal(rootfs, path.join(dataRoot, 'overlay', 'containers', 'c1', 'merged'));
    assert.ok((await procMounts()).includes(rootfs));
    assert.deepEqual((await fs.readdir(path.join(rootfs, 'etc'))).sort(), ['hostname']);
    assert.deepEqual(await fs.readdir(path.join(rootfs, 'data')), ['new']);
    assert.equal(await fs.readFile(path.join(rootfs, 'bin/sh'), 'utf8'), '#!');
    // idempotent
    assert.deepEqual(await snap.prepare('c1', [base.diffID, top.diffID]), { rootfs });
    assert.deepEqual(await snap.listMounted(), ['c1']);
    const gd = snap.graphDriverData('c1');
    assert.equal(gd.Data?.['LowerDir'], `${snap.layerPath(top.diffID)}:${snap.layerPath(base.diffID)}`);
    assert.equal(gd.Data?.['MergedDir'], rootfs);
  });

  it('writes go to the upper dir only and survive unmount/prepare', async () => {
    const { rootfs } = await snap.prepare('c1');
    await fs.writeFile(path.join(rootfs, 'etc/hostname'), 'changed');
    await fs.rm(path.join(rootfs, 'bin/sh'));
    assert.equal(await fs.readFile(path.join(snap.upperDir('c1'), 'etc/hostname'), 'utf8'), 'changed');
    assert.equal(await fs.readFile(path.join(snap.layerPath(base.diffID), 'etc/hostname'), 'utf8'), 'base');
    assert.ok(await fs.stat(path.join(snap.layerPath(base.diffID), 'bin/sh')));
    await snap.unmount('c1');
    await snap.unmount('c1');
    assert.ok(!(await procMounts()).includes(rootfs));
    assert.deepEqual(await snap.listMounted(), []);
    await snap.prepare('c1');
    assert.equal(await fs.readFile(path.join(rootfs, 'etc/hostname'), 'utf8'), 'changed');
    await assert.rejects(fs.stat(path.join(rootfs, 'bin/sh')));
  });

  it('keeps layers used by snapshots', async () => {
    assert.deepEqual([...(await snap.usedLayers())].sort(), [base.diffID, top.diffID].sort());
    await assert.rejects(snap.removeLayer(base.diffID), (e) => isKind(e, 'Conflict'));
    await assert.rejects(snap.create('c1', [base.diffID]), (e) => isKind(e, 'Conflict'));
  });

  it('mounts an image without layers on an empty lower dir', async () => {
    const { rootfs } = await snap.prepare('empty', []);
    assert.deepEqual(await fs.readdir(rootfs), []);
    await fs.writeFile(path.join(rootfs, 'x'), 'y');
    assert.deepEqual(await fs.readdir(path.join(dataRoot, 'overlay', 'empty')), []);
    await snap.remove('empty');
  });

  it('refuses unknown layers and bad keys', async () => {
    await assert.rejects(snap.prepare('c2', [`sha256:${'1'.repeat(64)}`]), (e) => isKind(e, 'NotFound'));
    await assert.rejects(snap.prepare('../x', []), (e) => isKind(e, 'InvalidArgument'));
    await assert.rejects(snap.prepare('c3'), (e) => isKind(e, 'NotFound'));
  });

  it('removes snapshots and then layers, leaving no mount', async () => {
    await snap.remove('c1');
    await snap.remove('c1');
    assert.ok(!(await procMounts()).includes(path.join(dataRoot, 'overlay')));
    assert.deepEqual(await snap.list(), []);
    await snap.removeLayer(top.diffID);
    await snap.removeLayer(top.diffID);
    assert.equal(await snap.hasLayer(top.diffID), false);
    assert.deepEqual(await snap.listLayers(), [base.diffID]);
    assert.deepEqual(await fs.readdir(path.join(dataRoot, 'overlay', 'layers')), [base.diffID.slice(7, 23)]);
    // the removed directories were renamed into tmp/, and their files are deleted in the background
    await snap.settle();
    assert.deepEqual(await fs.readdir(path.join(dataRoot, 'overlay', 'tmp')), []);
  });
});
