import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BerthError } from '../core/errors.js';
import type { VolumeRecord } from './record.js';
import { VolumeStore } from './store.js';
import { FakeMounter } from './testutil.js';

function tempRoot(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-volstore-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'volumes');
}

const rec = (name: string, extra: Partial<VolumeRecord> = {}): VolumeRecord => ({
  name, driver: 'local', createdAt: '2024-05-01T10:00:00.123Z', labels: { a: 'b' }, options: null, ...extra,
});

test('records persist across reopen; data dirs are 0755', async (t) => {
  const root = tempRoot(t);
  const mounter = new FakeMounter();
  const s = await VolumeStore.open(root, { mounter });
  await s.create(rec('data'));
  await s.create(rec('tmp', { labels: null, options: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } }));
  await fsp.writeFile(path.join(s.dataPath('data'), 'f'), 'x');
  assert.equal((await fsp.stat(s.dataPath('data'))).mode & 0o777, 0o755);
  await assert.rejects(s.create(rec('data')), /already exists/);

  const again = await VolumeStore.open(root, { mounter });
  assert.deepEqual(again.all().map((r) => r.name).sort(), ['data', 'tmp']);
  assert.deepEqual(again.get('data'), rec('data'));
  assert.deepEqual(again.get('tmp')?.options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
  assert.equal(await fsp.readFile(path.join(again.dataPath('data'), 'f'), 'utf8'), 'x');

  await again.save({ ...rec('data'), labels: { c: 'd' } });
  assert.deepEqual((await VolumeStore.open(root, { mounter })).get('data')?.labels, { c: 'd' });
});

test('leftovers of a crash are cleared, never half a volume', async (t) => {
  const root = tempRoot(t);
  const mounter = new FakeMounter();
  await fsp.mkdir(path.join(root, '.tmp-half-0001', '_data'), { recursive: true });
  await fsp.mkdir(path.join(root, '.trash-gone-0002', '_data'), { recursive: true });
  await fsp.mkdir(path.join(root, 'kept', '_data'), { recursive: true });
  await fsp.writeFile(path.join(root, 'kept', 'volume.json'), JSON.stringify(rec('kept')));
  await fsp.writeFile(path.join(root, 'kept', 'volume.json.tmp-999'), '{"name":"ke'); // a write cut short
  const s = await VolumeStore.open(root, { mounter });
  assert.deepEqual(s.all().map((r) => r.name), ['kept']);
  assert.deepEqual((await fsp.readdir(root)).sort(), ['kept']);
  assert.deepEqual((await fsp.readdir(path.join(root, 'kept'))).sort(), ['_data', 'volume.json']);
});

test('a volume directory without a record is adopted; a corrupt record is not trusted', async (t) => {
  const root = tempRoot(t);
  const mounter = new FakeMounter();
  await fsp.mkdir(path.join(root, 'old'), { recursive: true });
  await fsp.mkdir(path.join(root, 'bad', '_data'), { recursive: true });
  await fsp.writeFile(path.join(root, 'bad', 'volume.json'), '{not json');
  await fsp.mkdir(path.join(root, 'x'), { recursive: true }); // not a valid volume name: ignored
  const logs: string[] = [];
  const s = await VolumeStore.open(root, { mounter, log: (m) => logs.push(m) });
  assert.deepEqual(s.all().map((r) => r.name).sort(), ['bad', 'old']);
  const old = s.get('old') as VolumeRecord;
  assert.deepEqual([old.driver, old.labels, old.options], ['local', null, null]);
  assert.ok(!Number.isNaN(Date.parse(old.createdAt)));
  assert.ok(existsSync(s.dataPath('old')), 'the data directory is created');
  assert.ok(logs.some((l) => l.includes('bad')));
});

test('remove deletes everything, but never below a mount', async (t) => {
  const root = tempRoot(t);
  const mounter = new FakeMounter();
  const s = await VolumeStore.open(root, { mounter });
  await s.create(rec('data'));
  await fsp.writeFile(path.join(s.dataPath('data'), 'precious'), 'x');
  mounter.mounted.add(s.dataPath('data'));
  await assert.rejects(s.remove('data'), (e: unknown) => e instanceof BerthError && e.kind === 'Internal' && e.message.startsWith('remove data: volume is still mounted at'));
  assert.ok(existsSync(path.join(s.dataPath('data'), 'precious')));
  mounter.mounted.clear();
  await s.remove('data');
  assert.equal(s.get('data'), undefined);
  assert.deepEqual(await fsp.readdir(root), []);
  await s.remove('data'); // gone already: no error
});

test('a leftover with a mount below it is unmounted before it is deleted', async (t) => {
  const root = tempRoot(t);
  const mounter = new FakeMounter();
  const trash = path.join(root, '.trash-v-0003');
  await fsp.mkdir(path.join(trash, '_data'), { recursive: true });
  mounter.mounted.add(path.join(trash, '_data'));
  await VolumeStore.open(root, { mounter });
  assert.deepEqual(mounter.calls, [`umount ${path.join(trash, '_data')}`]);
  assert.ok(!existsSync(trash));
});
