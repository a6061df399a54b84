import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostConfig } from '../api/types.js';
import { isKind } from '../core/errors.js';
import { adaptNamespaceModes, planNamespaces, validateNamespaceModes, type NamespaceLookup } from './namespaces.js';
import { initialState, type ContainerRecord } from './record.js';

const fails = (kind: 'InvalidArgument' | 'Conflict', text: string) => (err: unknown) => isKind(err, kind) && (err as Error).message === text;

function rec(id: string, hc: HostConfig, status: ContainerRecord['state']['Status'] = 'running', pid = 100): ContainerRecord {
  return {
    id, name: `/${id}`, created: '', path: 'sh', args: [], config: {}, hostConfig: hc, image: '', layers: [],
    state: { ...initialState(), Status: status, Pid: status === 'running' || status === 'paused' ? pid : 0 },
    restartCount: 0, hasBeenStarted: true, manuallyStopped: false, logPath: '', hostnamePath: '', hostsPath: '', resolvConfPath: '',
  };
}

function lookup(...recs: ContainerRecord[]): NamespaceLookup {
  return { find: (ref) => recs.find((r) => r.id === ref || r.name === `/${ref}`), shmPath: (id) => `/data/${id}/mounts/shm` };
}

test('create-time checks of the modes, with Docker\'s texts', () => {
  for (const ipc of ['', 'none', 'private', 'host', 'shareable', 'container:x']) assert.doesNotThrow(() => validateNamespaceModes({}, { IpcMode: ipc }));
  assert.throws(() => validateNamespaceModes({}, { IpcMode: 'bogus' }), fails('InvalidArgument', 'invalid IPC mode: bogus'));
  for (const pid of ['', 'host', 'container:x']) assert.doesNotThrow(() => validateNamespaceModes({}, { PidMode: pid }));
  assert.throws(() => validateNamespaceModes({}, { PidMode: 'container:' }), fails('InvalidArgument', 'invalid PID mode: container:'));
  assert.throws(() => validateNamespaceModes({}, { PidMode: 'private' }), fails('InvalidArgument', 'invalid PID mode: private'));
  assert.throws(() => validateNamespaceModes({}, { UTSMode: 'container:x' }), fails('InvalidArgument', 'invalid UTS mode: container:x'));
  assert.throws(() => validateNamespaceModes({}, { ShmSize: -1 }), fails('InvalidArgument', 'SHM size can not be less than 0'));
  assert.throws(() => validateNamespaceModes({ Hostname: 'web' }, { UTSMode: 'host' }), fails('InvalidArgument', 'conflicting options: hostname and the UTS mode'));
  assert.doesNotThrow(() => validateNamespaceModes({ Hostname: 'web' }, { UTSMode: '' }));
});

test('what create stores: default IPC mode and shm size, donors pinned by id', () => {
  const ids: Record<string, string> = { db: 'f00d' };
  const idOf = (ref: string) => ids[ref];
  assert.deepEqual(adaptNamespaceModes({}, idOf), { IpcMode: 'private', PidMode: '', ShmSize: 64 * 1024 * 1024 });
  assert.deepEqual(adaptNamespaceModes({ IpcMode: 'container:db', PidMode: 'container:db', ShmSize: 1 << 20 }, idOf), { IpcMode: 'container:f00d', PidMode: 'container:f00d', ShmSize: 1 << 20 });
  // an unknown donor is kept as given (starting reports it); an ambiguous lookup too
  assert.deepEqual(adaptNamespaceModes({ IpcMode: 'container:nope', PidMode: 'host' }, idOf), { IpcMode: 'container:nope', PidMode: 'host', ShmSize: 64 << 20 });
  assert.equal(adaptNamespaceModes({ PidMode: 'container:a' }, () => { throw new Error('ambiguous'); }).PidMode, 'container:a');
  // the daemon's defaults (default-ipc-mode, default-shm-size) fill only what the create left out
  const defaults = { ipcMode: 'shareable', shmSize: 8 << 20 } as const;
  assert.deepEqual(adaptNamespaceModes({}, idOf, defaults), { IpcMode: 'shareable', PidMode: '', ShmSize: 8 << 20 });
  assert.deepEqual(adaptNamespaceModes({ IpcMode: 'private', ShmSize: 1 << 20 }, idOf, defaults), { IpcMode: 'private', PidMode: '', ShmSize: 1 << 20 });
});

test('IPC modes: namespace and /dev/shm', () => {
  const look = lookup();
  const plan = (hc: HostConfig) => planNamespaces(rec('me', hc, 'created'), look);
  assert.deepEqual(plan({ IpcMode: 'private' }), { pid: { mode: 'new' }, ipc: { mode: 'new' }, shm: { kind: 'private' } });
  assert.deepEqual(plan({}), { pid: { mode: 'new' }, ipc: { mode: 'new' }, shm: { kind: 'private' } });
  assert.deepEqual(plan({ IpcMode: 'none' }).shm, { kind: 'none' });
  assert.deepEqual(plan({ IpcMode: 'host' }), { pid: { mode: 'new' }, ipc: { mode: 'host' }, shm: { kind: 'bind', source: '/dev/shm' } });
  assert.deepEqual(plan({ IpcMode: 'shareable', ShmSize: 1 << 20 }), {
    pid: { mode: 'new' }, ipc: { mode: 'new' }, shm: { kind: 'bind', source: '/data/me/mounts/shm' }, ownShm: { path: '/data/me/mounts/shm', size: 1 << 20 },
  });
  assert.equal(plan({ IpcMode: 'shareable' }).ownShm?.size, 64 << 20);
});

test('joining a donor\'s IPC namespace: shareable, host, or a joiner of those; Docker\'s errors otherwise', () => {
  const share = rec('share', { IpcMode: 'shareable' }, 'running', 41);
  const host = rec('host', { IpcMode: 'host' }, 'running', 42);
  const joiner = rec('joiner', { IpcMode: 'container:share' }, 'running', 43);
  const priv = rec('priv', { IpcMode: 'private' }, 'running', 44);
  const stopped = rec('stopped', { IpcMode: 'shareable' }, 'exited');
  const paused = rec('paused', { IpcMode: 'shareable' }, 'paused', 45);
  const look = lookup(share, host, joiner, priv, stopped, paused);
  const plan = (ipc: string) => planNamespaces(rec('me', { IpcMode: ipc }, 'created'), look);
  assert.deepEqual(plan('container:share'), { pid: { mode: 'new' }, ipc: { mode: 'path', path: '/proc/41/ns/ipc' }, shm: { kind: 'bind', source: '/data/share/mounts/shm' } });
  assert.deepEqual(plan('container:host'), { pid: { mode: 'new' }, ipc: { mode: 'path', path: '/proc/42/ns/ipc' }, shm: { kind: 'bind', source: '/dev/shm' } });
  assert.deepEqual(plan('container:joiner').shm, { kind: 'bind', source: '/data/share/mounts/shm' });
  assert.deepEqual(plan('container:paused').ipc, { mode: 'path', path: '/proc/45/ns/ipc' });
  assert.throws(() => plan('container:priv'), fails('InvalidArgument', 'failed to join IPC namespace: container priv: non-shareable IPC (hint: use IpcMode:shareable for the donor container)'));
  assert.throws(() => plan('container:stopped'), fails('Conflict', 'failed to join IPC namespace: container stopped is not running'));
  assert.throws(() => plan('container:nope'), fails('InvalidArgument', 'failed to join IPC namespace: No such container: nope'));
  // a joiner whose donor stopped has nothing to share any more
  const orphan = rec('orphan', { IpcMode: 'container:stopped' }, 'running', 46);
  assert.throws(() => planNamespaces(rec('me', { IpcMode: 'container:orphan' }, 'created'), lookup(orphan, stopped)), /non-shareable IPC/);
});

test('PID modes: own, host, another container\'s (running)', () => {
  const db = rec('db', {}, 'running', 77);
  const look = lookup(db, rec('old', {}, 'exited'));
  const plan = (pid: string) => planNamespaces(rec('me', { PidMode: pid }, 'created'), look).pid;
  assert.deepEqual(plan(''), { mode: 'new' });
  assert.deepEqual(plan('host'), { mode: 'host' });
  assert.deepEqual(plan('container:db'), { mode: 'path', path: '/proc/77/ns/pid' });
  assert.throws(() => plan('container:old'), fails('Conflict', 'failed to join PID namespace: container old is not running'));
  assert.throws(() => plan('container:gone'), fails('InvalidArgument', 'failed to join PID namespace: No such container: gone'));
  // the IPC donor is checked first, as Docker does
  assert.throws(() => planNamespaces(rec('me', { PidMode: 'container:gone', IpcMode: 'container:old' }, 'created'), look), /IPC/);
});
