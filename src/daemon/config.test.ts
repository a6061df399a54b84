import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig, cgroupParent, DEFAULTS } from './config.js';

test('defaults are dockerd-like under berth paths', () => {
  const c = resolveConfig({}, undefined);
  assert.deepEqual(c.hosts, ['unix:///run/berth/berth.sock']);
  assert.equal(c.dataRoot, '/var/lib/berth');
  assert.equal(c.execRoot, '/run/berth');
  assert.equal(c.pidfile, '/run/berth/berthd.pid');
  assert.equal(c.bridge, 'berth0');
});

test('daemon.json keys as Docker spells them; flags override; both set is an error', () => {
  const c = resolveConfig({ execRoot: '/tmp/e' }, { 'data-root': '/srv/b', 'log-opts': { 'max-size': '10m' }, 'registry-mirrors': ['https://mirror.example:5000/'], 'insecure-registries': ['Reg.local:5000', '10.0.0.0/8'], 'max-concurrent-downloads': 6 });
  assert.equal(c.dataRoot, '/srv/b');
  assert.equal(c.execRoot, '/tmp/e');
  assert.equal(c.pidfile, '/tmp/e/berthd.pid');
  assert.deepEqual(c.logOpts, { 'max-size': '10m' });
  assert.deepEqual(c.registry, { mirrors: ['https://mirror.example:5000'], insecure: ['reg.local:5000', '10.0.0.0/8'], maxConcurrentDownloads: 6, maxConcurrentUploads: 5 });
  assert.throws(() => resolveConfig({ dataRoot: '/a' }, { 'data-root': '/b' }), /both as a flag and in the configuration file: data-root/);
});

test('bad values are refused', () => {
  assert.throws(() => resolveConfig({ logLevel: 'loud' }, undefined), /unable to parse logging level/);
  assert.throws(() => resolveConfig({ dataRoot: 'rel' }, undefined), /absolute/);
  assert.throws(() => resolveConfig({ host: ['tcp://0.0.0.0:2375'] }, undefined), /only unix sockets/);
  assert.throws(() => resolveConfig({}, { 'registry-mirrors': ['x'] }), /invalid mirror: "x" is not a valid URI/);
  assert.throws(() => resolveConfig({}, { 'registry-mirrors': ['https://m.example/v2/'] }), /invalid mirror: path, query, or fragment/);
  assert.throws(() => resolveConfig({}, { 'insecure-registries': ['http://x:5000'] }), /insecure registry http:\/\/x:5000 should not contain ':\/\/'/);
  assert.throws(() => resolveConfig({}, { 'max-concurrent-uploads': 0 }), /invalid max-concurrent-uploads/);
  assert.throws(() => resolveConfig({}, { proxies: { 'ftp-proxy': 'x' } }), /unknown key in proxies: ftp-proxy/);
});

test('proxies: daemon.json over the environment', () => {
  assert.deepEqual(resolveConfig({}, undefined, { HTTPS_PROXY: 'http://p:1', no_proxy: '.corp' }).registry.proxy, { https: 'http://p:1', noProxy: '.corp' });
  assert.deepEqual(resolveConfig({}, { proxies: { 'https-proxy': 'http://q:2' } }, { HTTPS_PROXY: 'http://p:1' }).registry.proxy, { https: 'http://q:2' });
  assert.equal(resolveConfig({}, undefined, {}).registry.proxy, undefined);
});

test('cgroup parent derives from the data root', () => {
  assert.equal(cgroupParent(DEFAULTS.dataRoot), 'berth');
  assert.match(cgroupParent('/tmp/x'), /^berth-[0-9a-f]{10}$/);
  assert.notEqual(cgroupParent('/tmp/x'), cgroupParent('/tmp/y'));
});

test('userns-remap: from daemon.json or --userns-remap, a string, off when empty', () => {
  assert.equal(resolveConfig({}, { 'userns-remap': 'default' }).usernsRemap, 'default');
  assert.equal(resolveConfig({ usernsRemap: '1234561:1234561' }, undefined).usernsRemap, '1234561:1234561');
  assert.equal(resolveConfig({}, { 'userns-remap': '' }).usernsRemap, undefined);
  assert.equal(resolveConfig({}, undefined).usernsRemap, undefined);
  assert.equal('userns-remap' in resolveConfig({}, { 'userns-remap': 'default' }).extra, false);
  assert.throws(() => resolveConfig({}, { 'userns-remap': 5 }), /invalid value for userns-remap: 5/);
  assert.throws(() => resolveConfig({ usernsRemap: 'a' }, { 'userns-remap': 'b' }), /both as a flag and in the configuration file: userns-remap/);
});

test("default-ipc-mode and default-shm-size, checked as dockerd checks them", () => {
  assert.deepEqual(resolveConfig({}, undefined).containerDefaults, { ipcMode: 'private', shmSize: 64 * 2 ** 20 });
  assert.deepEqual(resolveConfig({}, { 'default-ipc-mode': 'shareable', 'default-shm-size': '128M' }).containerDefaults, { ipcMode: 'shareable', shmSize: 128 * 2 ** 20 });
  assert.equal(resolveConfig({}, { 'default-shm-size': 1048576 }).containerDefaults.shmSize, 1048576);
  assert.throws(() => resolveConfig({}, { 'default-ipc-mode': 'host' }), /IPC mode "host" is not supported as default value; use "shareable" or "private"/);
  assert.throws(() => resolveConfig({}, { 'default-ipc-mode': 'bogus' }), /default IPC mode setting \(bogus\) is invalid; use "shareable" or "private"/);
  assert.throws(() => resolveConfig({}, { 'default-shm-size': '64x' }), /invalid default-shm-size: "64x"/);
  assert.throws(() => resolveConfig({}, { 'default-shm-size': 0 }), /invalid default-shm-size: 0/);
});
