/**
 * ContainerService through its interfaces, with no kernel: the runtime is FakeRuntime (it keeps the
 * runtime lifecycle strictly and lets the test end a container), images, rootfs, network and spec are
 * fakes that record what they were asked. The store is the real one, on a temp folder. The same paths
 * against runc and the kernel are in test/lifecycle.test.ts.
 */
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EndpointSettings } from '../api/types.js';
import { isKind } from '../core/errors.js';
import { EventBus } from '../core/events.js';
import { FakeRuntime } from '../runtime/fake.js';
import { composeArgs, mergeConfig } from '../runtime/oci/index.js';
import type { ContainerNetworking, RootfsProvider, SpecBuilder } from './deps.js';
import type { ContainerRecord } from './record.js';
import { ContainerService } from './service.js';
import { ContainerStore } from './store.js';

/** A runtime whose containers die of the signals that stop them, as a shell would. */
class DyingRuntime extends FakeRuntime {
  /** when set, nothing kills the containers (a process stuck in the kernel) */
  immortal = false;
  override async kill(id: string, signal: number, all = false): Promise<void> {
    await super.kill(id, signal, all);
    if ((signal === 9 || signal === 15) && !this.immortal) setImmediate(() => { if (this.containers.get(id)?.status !== 'stopped') this.exit(id, 128 + signal); });
  }
}

class FakeRootfs implements RootfsProvider {
  readonly calls: string[] = [];
  /** unmount waits for this, when set (a slow exit) */
  gate?: Promise<void>;
  async prepare(key: string) { this.calls.push(`prepare ${key.slice(0, 4)}`); return { rootfs: `/fake/${key}` }; }
  async unmount(key: string) { await this.gate; this.calls.push(`unmount ${key.slice(0, 4)}`); }
  async remove(key: string) { this.calls.push(`remove ${key.slice(0, 4)}`); }
}

class FakeNetwork implements ContainerNetworking {
  readonly calls: string[] = [];
  /** connect waits for this, when set (to hold it in the middle) */
  gate?: Promise<void>;
  endpointsForCreate(): Record<string, EndpointSettings> { return { bridge: {} }; }
  async prepare(rec: ContainerRecord) { this.calls.push(`prepare ${rec.id.slice(0, 4)}`); return { selfIp: '10.0.0.2', links: [], embeddedDns: false }; }
  async wire(rec: ContainerRecord) { this.calls.push(`wire ${rec.id.slice(0, 4)}`); }
  async release(rec: ContainerRecord) { this.calls.push(`release ${rec.id.slice(0, 4)}`); }
  async connect(network: string, rec: ContainerRecord, ep: EndpointSettings) {
    this.calls.push(`connect-begin ${network}`);
    await this.gate;
    rec.networks = { ...rec.networks, [network]: ep };
    this.calls.push(`connect-end ${network}`);
  }
  async disconnect(network: string, rec: ContainerRecord) { delete rec.networks?.[network]; }
  async removeStaleEndpoint() { return false; }
}

const spec: SpecBuilder = {
  validateSecurity: () => {},
  validateKernelSettings: () => [],
  mergeConfig: (image, body) => mergeConfig(image, body),
  composeArgs: (e, c) => composeArgs(e, c),
  build: async () => '{}',
};

let dir: string;
let runtime: DyingRuntime;
let rootfs: FakeRootfs;
let network: FakeNetwork;
let store: ContainerStore;
let svc: ContainerService;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'berth-ctrsvc-'));
  runtime = new DyingRuntime();
  rootfs = new FakeRootfs();
  network = new FakeNetwork();
  store = await ContainerStore.open(path.join(dir, 'containers'));
  svc = new ContainerService({
    store, runtime, rootfs, network, spec, events: new EventBus(), execRoot: path.join(dir, 'exec'),
    images: { resolveImage: () => ({ id: `sha256:${'ab'.repeat(32)}`, config: { config: { Cmd: ['sh'] } } as never, layers: [] }) },
    host: { hosts: async () => '', resolvConf: async () => 'nameserver 127.0.0.53\n', hostname: () => 'host' },
  });
  runtime.watchExits((id) => void svc.handleExit(id));
  await svc.enableRestarts();
});

afterEach(async () => {
  svc.close();
  await rm(dir, { recursive: true, force: true });
});

const parseSignal = (s: string) => (s === 'SIGKILL' ? 9 : 15);
const settle = () => new Promise((r) => setTimeout(r, 20));

test('start and exit: one teardown gives back the runtime state, the rootfs, the bundle and the network', async () => {
  const { Id } = await svc.create('web', { Image: 'busybox', Cmd: ['true'] });
  await svc.start('web');
  assert.equal(store.get(Id)!.state.Status, 'running');
  assert.ok(existsSync(svc.bundleDir(Id)));
  const exited = svc.wait(Id, 'next-exit');
  runtime.exit(Id, 3);
  assert.equal((await exited).StatusCode, 3);
  const rec = store.get(Id)!;
  assert.deepEqual([rec.state.Status, rec.state.ExitCode], ['exited', 3]);
  assert.deepEqual(rootfs.calls, [`prepare ${Id.slice(0, 4)}`, `unmount ${Id.slice(0, 4)}`]);
  assert.deepEqual(network.calls, [`prepare ${Id.slice(0, 4)}`, `wire ${Id.slice(0, 4)}`, `release ${Id.slice(0, 4)}`]);
  assert.equal(runtime.containers.has(Id), false, 'the runtime holds no state for it');
  assert.equal(existsSync(svc.bundleDir(Id)), false);
});

test('a start that fails undoes everything; a missing command is a 400 with 127, any other failure a 500 with 128', async () => {
  const { Id } = await svc.create('bad', { Image: 'busybox', Cmd: ['nosuch'] });
  runtime.failNext('start', 'exec: "nosuch": executable file not found in $PATH');
  await assert.rejects(svc.start(Id), (e) => isKind(e, 'InvalidArgument') && /executable file not found/.test((e as Error).message));
  let rec = store.get(Id)!;
  assert.deepEqual([rec.state.Status, rec.state.ExitCode], ['created', 127]);
  assert.deepEqual(rootfs.calls.map((c) => c.split(' ')[0]), ['prepare', 'unmount']);
  assert.deepEqual(network.calls.map((c) => c.split(' ')[0]), ['prepare', 'wire', 'release']);
  assert.equal(runtime.containers.has(Id), false, 'the created container was deleted');

  runtime.failNext('create', 'conmon failed: out of memory');
  await assert.rejects(svc.start(Id), (e) => isKind(e, 'Internal'));
  rec = store.get(Id)!;
  assert.equal(rec.state.ExitCode, 128);
  assert.equal(runtime.containers.has(Id), false);
});

test('rm removes the rootfs and the record; rm of a running container without force is refused and changes nothing', async () => {
  const { Id } = await svc.create('gone', { Image: 'busybox', Cmd: ['sleep', '1000'] });
  await svc.start(Id);
  await assert.rejects(svc.remove(Id, { force: false, volumes: false }), (e) => isKind(e, 'Conflict'));
  assert.equal(store.get(Id)!.state.Status, 'running');
  await svc.remove(Id, { force: true, volumes: false });
  assert.equal(store.get(Id), undefined);
  assert.ok(rootfs.calls.includes(`remove ${Id.slice(0, 4)}`));
  const again = await ContainerStore.open(path.join(dir, 'containers'));
  assert.equal(again.get(Id), undefined, 'gone from disk too');
});

test('network connect and stop on one container: the stop waits for the connect, and the record keeps both', async () => {
  const { Id } = await svc.create('both', { Image: 'busybox', Cmd: ['sleep', '1000'] });
  await svc.start(Id);
  let open!: () => void;
  network.gate = new Promise((r) => { open = r; });
  const connecting = svc.connectNetwork('backend', Id, { Aliases: ['db'] });
  await settle();
  const stopping = svc.stop(Id, { timeout: 5 }, parseSignal);
  await settle();
  // the exit is being handled under the container's lock: the network is not released in the middle of the connect
  assert.deepEqual(network.calls.filter((c) => c.startsWith('connect') || c.startsWith('release')), ['connect-begin backend']);
  open();
  await Promise.all([connecting, stopping]);
  const calls = network.calls.filter((c) => c.startsWith('connect') || c.startsWith('release'));
  assert.deepEqual(calls, ['connect-begin backend', 'connect-end backend', `release ${Id.slice(0, 4)}`]);
  const onDisk = (await ContainerStore.open(path.join(dir, 'containers'))).get(Id)!;
  assert.equal(onDisk.state.Status, 'exited');
  assert.deepEqual(Object.keys(onDisk.networks ?? {}).sort(), ['backend', 'bridge']);
});

test('SIGKILL with a slow exit (a loaded daemon): stop and kill wait for it as dockerd does; only a process that survives fails', async () => {
  svc.killWaitMs = 30;
  const slowExit = () => {
    rootfs.gate = new Promise((r) => setTimeout(r, 300));
  };
  const { Id } = await svc.create('web', { Image: 'busybox', Cmd: ['sh'] });
  await svc.start('web');
  slowExit();
  // signal 10 is ignored: the stop goes on to SIGKILL at once (timeout 0)
  await svc.stop(Id, { timeout: 0, signal: 10 }, parseSignal);
  assert.equal(store.get(Id)!.state.Status, 'exited');
  await svc.start('web');
  slowExit();
  await svc.kill(Id, 9, parseSignal);
  assert.equal(store.get(Id)!.state.Status, 'exited');
  rootfs.gate = undefined;
  await svc.start('web');
  runtime.immortal = true;
  await assert.rejects(svc.stop(Id, { timeout: 0, signal: 10 }, parseSignal), /did not exit after SIGKILL/);
  runtime.immortal = false;
  runtime.exit(Id, 137);
  await settle();
});
