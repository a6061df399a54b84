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
  const c = resolveConfig({ execRoot: '/tmp/e' }, { 'data-root': '/srv/b', 'log-opts': { 'max-size': '10m' }, 'registry-mirrors': ['x'] });
  assert.equal(c.dataRoot, '/srv/b');
  assert.equal(c.execRoot, '/tmp/e');
  assert.equal(c.pidfile, '/tmp/e/berthd.pid');
  assert.deepEqual(c.logOpts, { 'max-size': '10m' });
  assert.deepEqual(c.extra, { 'registry-mirrors': ['x'] });
  assert.throws(() => resolveConfig({ dataRoot: '/a' }, { 'data-root': '/b' }), /both as a flag and in the configuration file: data-root/);
});

test('bad values are refused', () => {
  assert.throws(() => resolveConfig({ logLevel: 'loud' }, undefined), /unable to parse logging level/);
  assert.throws(() => resolveConfig({ dataRoot: 'rel' }, undefined), /absolute/);
  assert.throws(() => resolveConfig({ host: ['tcp://0.0.0.0:2375'] }, undefined), /only unix sockets/);
});

test('cgroup parent derives from the data root', () => {
  assert.equal(cgroupParent(DEFAULTS.dataRoot), 'berth');
  assert.match(cgroupParent('/tmp/x'), /^berth-[0-9a-f]{10}$/);
  assert.notEqual(cgroupParent('/tmp/x'), cgroupParent('/tmp/y'));
});
