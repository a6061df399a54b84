/**
 * Real mounts (root only): volumes with `type=tmpfs` and `type=none o=bind` options mounted by their
 * first user and unmounted after the last, checked against /proc/self/mountinfo. Everything lives
 * under a temp dir that is unmounted and removed afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseMountInfo } from '../host/mountinfo.js';
import { SystemMounter } from './mounter.js';
import { VolumeService } from './service.js';
import { VolumeStore } from './store.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;

async function mountOf(target: string) {
  return parseMountInfo(await fsp.readFile('/proc/self/mountinfo', 'utf8')).find((m) => m.mountPoint === target);
}

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-volmount-'));
  const mounter = new SystemMounter();
  t.after(async () => {
    for (const m of await mounter.mountsUnder(dir)) await mounter.unmount(m).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const store = await VolumeStore.open(path.join(dir, 'volumes'), { mounter });
  const users = new Map<string, string[]>();
  const svc = new VolumeService({ store, mounter, usedBy: (n) => users.get(n) ?? [] });
  await svc.init();
  return { dir, mounter, store, svc, users };
}

test('a tmpfs volume is mounted by its first user and unmounted after the last', { skip }, async (t) => {
  const { svc, mounter, store } = await setup(t);
  await svc.create({ Name: 'scratch', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=10m,mode=0750' } });
  const data = store.dataPath('scratch');
  assert.equal(await mountOf(data), undefined);
  assert.equal(await svc.mount('scratch', 'c1'), data);
  const m = await mountOf(data);
  assert.equal(m?.fsType, 'tmpfs');
  assert.match(m?.superOptions ?? '', /size=10240k/);
  assert.equal((await fsp.stat(data)).mode & 0o777, 0o750);
  await fsp.writeFile(path.join(data, 'in-memory'), 'x');
  await svc.mount('scratch', 'c2');
  await svc.unmount('scratch', 'c1');
  assert.ok(await mountOf(data), 'still used by c2');
  await svc.unmount('scratch', 'c2');
  assert.equal(await mountOf(data), undefined);
  assert.ok(!existsSync(path.join(data, 'in-memory')), 'the tmpfs content went with it');
  assert.deepEqual(await mounter.mountsUnder(path.dirname(data)), []);
  await svc.remove('scratch');
  assert.ok(!existsSync(path.dirname(data)));
});

test('a bind volume (type=none o=bind) shows the host directory; removing it leaves the host files', { skip }, async (t) => {
  const { dir, svc, store } = await setup(t);
  const host = path.join(dir, 'host-data');
  await fsp.mkdir(host);
  await fsp.writeFile(path.join(host, 'keep'), 'keep');
  await svc.create({ Name: 'hostvol', DriverOpts: { type: 'none', o: 'bind', device: host } });
  const data = await svc.mount('hostvol', 'c1');
  assert.equal(data, store.dataPath('hostvol'));
  assert.equal(await fsp.readFile(path.join(data, 'keep'), 'utf8'), 'keep');
  await assert.rejects(svc.remove('hostvol'), /volume has active mounts/);
  await svc.unmount('hostvol', 'c1');
  await svc.remove('hostvol');
  assert.equal(await fsp.readFile(path.join(host, 'keep'), 'utf8'), 'keep');
});

test('a bad mount is reported with the mount error and leaves nothing mounted', { skip }, async (t) => {
  const { svc, store, mounter } = await setup(t);
  await svc.create({ Name: 'broken', DriverOpts: { type: 'nosuchfs', device: 'none' } });
  await assert.rejects(svc.mount('broken', 'c1'), (e: unknown) => e instanceof Error && e.message.startsWith(`error while mounting volume '${store.dataPath('broken')}': failed to mount local volume: `));
  assert.deepEqual(await mounter.mountsUnder(store.root), []);
});

test('a restarted daemon finds the volume mounted and unmounts it when unused', { skip }, async (t) => {
  const { svc, mounter, store } = await setup(t);
  await svc.create({ Name: 'kept', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } });
  const data = await svc.mount('kept', 'c1');
  const again = new VolumeService({ store: await VolumeStore.open(store.root, { mounter }), mounter, usedBy: () => [] });
  await again.init();
  await again.releaseUnused();
  assert.equal(await mountOf(data), undefined);
});
