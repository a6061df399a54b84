import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BerthError, type ErrorKind } from '../core/errors.js';
import { planMounts } from './mounts.js';
import { ANONYMOUS_LABEL } from './record.js';
import { VolumeService } from './service.js';
import { VolumeStore } from './store.js';
import { FakeMounter } from './testutil.js';

const fails = (kind: ErrorKind, message: string | RegExp) => (e: unknown) =>
  e instanceof BerthError && e.kind === kind && (typeof message === 'string' ? e.message === message : message.test(e.message));

async function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-volsvc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'volumes');
  const mounter = new FakeMounter();
  const users = new Map<string, string[]>();
  const events: string[] = [];
  const open = async () => {
    const store = await VolumeStore.open(root, { mounter });
    const svc = new VolumeService({
      store, mounter, usedBy: (n) => users.get(n) ?? [],
      events: { publish: (_type, action, id, attrs) => events.push(`${action} ${id} ${JSON.stringify(attrs)}`) },
      now: () => new Date('2024-05-01T10:00:00.987Z'),
    });
    await svc.init();
    return svc;
  };
  return { dir, root, mounter, users, events, svc: await open(), open };
}

test('create: view, anonymous names and label, existing names, persistence', async (t) => {
  const { root, svc, events, open } = await setup(t);
  const v = await svc.create({ Name: 'data', Labels: { app: 'web' }, DriverOpts: {} });
  assert.deepEqual(v, {
    CreatedAt: '2024-05-01T10:00:00Z', Driver: 'local', Labels: { app: 'web' }, Mountpoint: path.join(root, 'data', '_data'), Name: 'data', Options: {}, Scope: 'local',
  });
  assert.deepEqual(Object.keys(v), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.ok(existsSync(v.Mountpoint));
  // the same name again: the existing volume, unchanged
  assert.deepEqual(await svc.create({ Name: 'data', Driver: 'local', Labels: { other: '1' } }), v);
  const anon = await svc.create({});
  assert.match(anon.Name, /^[0-9a-f]{64}$/);
  assert.deepEqual(anon.Labels, { [ANONYMOUS_LABEL]: '' });
  assert.equal(anon.Options, null);
  const anon2 = await svc.create({ Labels: { x: 'y' } });
  assert.deepEqual(anon2.Labels, { x: 'y', [ANONYMOUS_LABEL]: '' });
  assert.notEqual(anon.Name, anon2.Name);
  assert.deepEqual(events.filter((e) => e.startsWith('create ')).length, 3);
  // a restarted daemon has the same volumes
  const again = await open();
  assert.deepEqual(again.inspect('data'), v);
  assert.deepEqual(again.list().Volumes.map((x) => x.Name).sort(), ['data', anon.Name, anon2.Name].sort());
});

test('create errors: names, options, drivers', async (t) => {
  const { svc } = await setup(t);
  await assert.rejects(svc.create({ Name: 'x/y' }), fails('InvalidArgument', `create x/y: "x/y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`));
  await assert.rejects(svc.create({ Name: '.hidden' }), fails('InvalidArgument', /^create \.hidden: "\.hidden" includes invalid characters/));
  await assert.rejects(svc.create({ Name: 'a' }), fails('InvalidArgument', 'create a: volume name is too short, names should be at least two alphanumeric characters'));
  await assert.rejects(svc.create({ Name: 'v1', DriverOpts: { foo: 'bar' } }), fails('InvalidArgument', 'create v1: invalid option: "foo"'));
  await assert.rejects(svc.create({ Name: 'v1', DriverOpts: { type: 'tmpfs' } }), fails('InvalidArgument', 'create v1: missing required option: "device"'));
  await assert.rejects(svc.create({ Name: 'v1', DriverOpts: { o: 'size=1m', device: 'tmpfs' } }), fails('InvalidArgument', 'create v1: missing required option: "type"'));
  await assert.rejects(svc.create({ Name: 'v1', DriverOpts: { size: '10G' } }), fails('InvalidArgument', 'create v1: quota size requested but no quota support'));
  await assert.rejects(svc.create({ Name: 'v1', DriverOpts: { size: 'lots' } }), fails('InvalidArgument', `create v1: invalid size: 'lots'`));
  await assert.rejects(svc.create({ Name: 'v1', Driver: 'nfs-plugin' }), fails('NotFound', 'create v1: error looking up volume plugin nfs-plugin: plugin "nfs-plugin" not found'));
  assert.deepEqual(svc.list().Volumes, []);
});

test('inspect, list filters, remove: 404, in use 409, force', async (t) => {
  const { svc, users, events } = await setup(t);
  await svc.create({ Name: 'data' });
  await svc.create({ Name: 'logs', Labels: { tier: 'ops' } });
  users.set('data', ['c1', 'c2']);
  assert.throws(() => svc.inspect('nope'), fails('NotFound', 'get nope: no such volume'));
  assert.deepEqual(svc.list({ dangling: ['true'] }).Volumes.map((v) => v.Name), ['logs']);
  assert.deepEqual(svc.list({ label: ['tier=ops'] }).Volumes.map((v) => v.Name), ['logs']);
  assert.equal(svc.list().Warnings, null);
  assert.throws(() => svc.list({ bogus: ['1'] }), fails('InvalidArgument', `invalid filter 'bogus'`));
  await assert.rejects(svc.remove('nope'), fails('NotFound', 'get nope: no such volume'));
  await svc.remove('nope', { force: true });
  await assert.rejects(svc.remove('data'), fails('Conflict', 'remove data: volume is in use - [c1, c2]'));
  await assert.rejects(svc.remove('data', { force: true }), fails('Conflict', 'remove data: volume is in use - [c1, c2]'));
  users.delete('data');
  await svc.remove('data');
  assert.throws(() => svc.inspect('data'), fails('NotFound', 'get data: no such volume'));
  assert.ok(events.includes('destroy data {"driver":"local"}'));
});

test('prune: anonymous only unless all, never in use or with options, reports space', async (t) => {
  const { svc, users } = await setup(t);
  const anon = await svc.create({});
  const anonUsed = await svc.create({});
  const named = await svc.create({ Name: 'named', Labels: { keep: 'no' } });
  await svc.create({ Name: 'withopts', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } });
  users.set(anonUsed.Name, ['c1']);
  await fsp.writeFile(path.join(anon.Mountpoint, 'f'), Buffer.alloc(1500));
  await fsp.writeFile(path.join(named.Mountpoint, 'g'), Buffer.alloc(100));
  const first = await svc.prune({});
  assert.deepEqual(first, { VolumesDeleted: [anon.Name], SpaceReclaimed: 1500 });
  assert.deepEqual(await svc.prune({ all: ['true'], label: ['keep=yes'] }), { VolumesDeleted: [], SpaceReclaimed: 0 });
  assert.deepEqual(await svc.prune({ all: ['true'] }), { VolumesDeleted: ['named'], SpaceReclaimed: 100 });
  assert.deepEqual(svc.list().Volumes.map((v) => v.Name).sort(), [anonUsed.Name, 'withopts'].sort());
  await assert.rejects(svc.prune({ all: ['nah'] }), fails('InvalidArgument', /^invalid filter 'all'/));
});

test('mount/unmount: plain volumes, options mounted once and refcounted', async (t) => {
  const { svc, mounter, root, events } = await setup(t);
  await svc.create({ Name: 'plain' });
  await svc.create({ Name: 'fast', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
  assert.equal(await svc.mount('plain', 'c1'), path.join(root, 'plain', '_data'));
  assert.deepEqual(mounter.calls, []);
  const data = path.join(root, 'fast', '_data');
  assert.equal(await svc.mount('fast', 'c1'), data);
  assert.equal(await svc.mount('fast', 'c2'), data);
  assert.deepEqual(mounter.calls, [`mount tmpfs tmpfs ${data} size=1m`]);
  assert.deepEqual(svc.list({ dangling: ['false'] }).Volumes.map((v) => v.Name).sort(), ['fast', 'plain'], 'mounted volumes are not dangling');
  await assert.rejects(svc.remove('fast'), fails('Internal', 'remove fast: volume has active mounts'));
  await svc.unmount('fast', 'c1');
  assert.equal(mounter.mounted.size, 1);
  await svc.unmount('fast', 'c2');
  assert.equal(mounter.mounted.size, 0);
  assert.deepEqual(mounter.calls.slice(1), [`umount ${data}`]);
  await svc.unmount('fast', 'c2'); // not a user any more: nothing happens
  assert.ok(events.some((e) => e.startsWith('mount fast {"container":"c1","driver":"local"')));
  await assert.rejects(svc.mount('nope', 'c1'), fails('NotFound', 'get nope: no such volume'));
  mounter.failMount = 'mount: wrong fs type';
  await assert.rejects(svc.mount('fast', 'c3'), fails('Internal', `error while mounting volume '${data}': failed to mount local volume: mount: wrong fs type`));
  mounter.failMount = undefined;
  await svc.remove('fast');
});

test('a restarted daemon knows what is still mounted and releases unused mounts', async (t) => {
  const { svc, mounter, open } = await setup(t);
  await svc.create({ Name: 'fast', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } });
  await svc.create({ Name: 'fast2', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } });
  const d1 = await svc.mount('fast', 'c1');
  await svc.mount('fast2', 'c2');
  const again = await open();
  again.liveRestore('fast', 'c1');
  await again.releaseUnused();
  assert.deepEqual([...mounter.mounted], [d1], 'fast2 had no running user');
  await again.mount('fast', 'c3');
  assert.equal(mounter.calls.filter((c) => c.startsWith('mount ')).length, 2, 'already mounted: not mounted again');
  await again.unmount('fast', 'c3');
  await again.unmount('fast', 'c1');
  assert.equal(mounter.mounted.size, 0);
});

test('container lifecycle: attach, setUp with copy-up, tearDown, removeAnonymous', async (t) => {
  const { svc, dir, users, mounter } = await setup(t);
  const rootfs = path.join(dir, 'rootfs');
  await fsp.mkdir(path.join(rootfs, 'var/lib/app'), { recursive: true });
  await fsp.writeFile(path.join(rootfs, 'var/lib/app/seed'), 'seed');
  await fsp.mkdir(path.join(rootfs, 'etc/conf'), { recursive: true });
  await fsp.writeFile(path.join(rootfs, 'etc/conf/x'), 'x');
  const hostDir = path.join(dir, 'host', 'made');
  const plans = planMounts({
    binds: [`${hostDir}:/host`, 'named:/etc/conf:nocopy'],
    mounts: [{ Type: 'volume', Source: 'fast', Target: '/fast', VolumeOptions: { DriverConfig: { Options: { type: 'tmpfs', device: 'tmpfs' } }, Labels: { l: '1' } } }],
    imageVolumes: ['/var/lib/app'],
  });
  const attached = await svc.attach(plans);
  const byDest = new Map(attached.map((p) => [p.destination, p]));
  const anon = byDest.get('/var/lib/app');
  assert.match(anon?.name ?? '', /^[0-9a-f]{64}$/);
  assert.deepEqual([anon?.mode, anon?.anonymous, anon?.driver], ['', true, 'local']);
  assert.deepEqual([byDest.get('/etc/conf')?.mode, byDest.get('/etc/conf')?.name, byDest.get('/etc/conf')?.anonymous], ['nocopy', 'named', false]);
  assert.deepEqual([byDest.get('/fast')?.mode, byDest.get('/fast')?.source], ['z', svc.inspect('fast').Mountpoint], 'a local volume without a mode shows "z"');
  assert.deepEqual(svc.inspect('fast').Labels, { l: '1' });
  assert.deepEqual(svc.inspect('fast').Options, { type: 'tmpfs', device: 'tmpfs' });
  for (const p of attached) if (p.type === 'volume') users.set(p.name, ['c1']);

  const paths = await svc.setUp(attached, 'c1', rootfs);
  assert.equal(paths.get('/host'), hostDir);
  assert.ok(existsSync(hostDir), '-v creates a missing host directory');
  assert.equal(await fsp.readFile(path.join(paths.get('/var/lib/app') as string, 'seed'), 'utf8'), 'seed', 'copied up');
  assert.deepEqual(await fsp.readdir(paths.get('/etc/conf') as string), [], 'nocopy');
  assert.equal(mounter.mounted.size, 1);
  await svc.tearDown(attached, 'c1');
  assert.equal(mounter.mounted.size, 0);

  // a second start copies nothing into the now non-empty volume
  await fsp.writeFile(path.join(rootfs, 'var/lib/app/seed'), 'changed');
  const again = await svc.setUp(attached, 'c1', rootfs);
  assert.equal(await fsp.readFile(path.join(again.get('/var/lib/app') as string, 'seed'), 'utf8'), 'seed');
  await svc.tearDown(attached, 'c1');

  // rm -v: the anonymous volume goes, named ones stay; one used elsewhere stays too
  users.set(anon?.name as string, ['c1', 'c2']);
  assert.deepEqual(await svc.removeAnonymous(attached, 'c1'), []);
  users.set(anon?.name as string, ['c1']);
  assert.deepEqual(await svc.removeAnonymous(attached, 'c1'), [anon?.name]);
  assert.deepEqual(svc.list().Volumes.map((v) => v.Name).sort(), ['fast', 'named']);
});

test('attach undoes the volumes it created when one fails', async (t) => {
  const { svc } = await setup(t);
  const plans = planMounts({ binds: ['/x:/y', 'newvol:/a', 'bad/name:/b'], imageVolumes: ['/c'] });
  await assert.rejects(svc.attach(plans), fails('InvalidArgument', /^create bad\/name: /));
  assert.deepEqual(svc.list().Volumes, []);
});

test('setUp releases its mounts when a later mount fails', async (t) => {
  const { svc, mounter } = await setup(t);
  const plans = await svc.attach(planMounts({ mounts: [{ Type: 'volume', Source: 'ok1', Target: '/a', VolumeOptions: { DriverConfig: { Options: { type: 'tmpfs', device: 'tmpfs' } } } }, { Type: 'volume', Source: 'sub', Target: '/b', VolumeOptions: { Subpath: 'missing/dir' } }] }));
  await assert.rejects(svc.setUp(plans, 'c1'), fails('InvalidArgument', /^cannot access path .*sub\/_data\/missing\/dir: no such file or directory$/));
  assert.equal(mounter.mounted.size, 0);
  await svc.remove('ok1');
});
