import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExtraHost, renderHosts, renderResolvConf, parseNetworkMode } from './files.js';

test('add-host accepts name:ip and name=ip, rejects bad addresses', () => {
  assert.deepEqual(parseExtraHost('db:10.0.0.5'), { host: 'db', ip: '10.0.0.5' });
  assert.deepEqual(parseExtraHost('v6=[::1]'), { host: 'v6', ip: '::1' });
  assert.deepEqual(parseExtraHost('gw:host-gateway'), { host: 'gw', ip: 'host-gateway' });
  assert.throws(() => parseExtraHost('db:999.1.1.1'), /invalid IP address in add-host/);
  assert.throws(() => parseExtraHost('nocolon'), /invalid IP address/);
});

test('hosts: defaults, extra entries, own address', () => {
  const h = renderHosts({ extra: [{ host: 'db', ip: '10.1.2.3' }], self: { ip: '172.17.0.2', names: ['abc123'] } });
  const lines = h.trimEnd().split('\n');
  assert.equal(lines[0], '127.0.0.1\tlocalhost');
  assert.ok(lines.includes('10.1.2.3\tdb'));
  assert.equal(lines.at(-1), '172.17.0.2\tabc123');
});

test('hosts: host mode starts from the host file', () => {
  assert.equal(renderHosts({ base: '127.0.0.1 localhost myhost\n', extra: [] }), '127.0.0.1 localhost myhost\n');
});

test('resolv.conf: loopback servers dropped in an own netns, kept on host network; --dns replaces', () => {
  const host = 'search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.2\noptions edns0\n';
  assert.equal(renderResolvConf(host, { ownNetns: true }), 'search example.org\nnameserver 10.0.0.2\noptions edns0\n');
  assert.equal(renderResolvConf(host, { ownNetns: false }), 'search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.2\noptions edns0\n');
  assert.equal(renderResolvConf(host, { ownNetns: true, dns: ['1.2.3.4'], search: ['a.b'], options: ['ndots:2'] }), 'search a.b\nnameserver 1.2.3.4\noptions ndots:2\n');
});

test('resolv.conf on a user-defined network: only the embedded resolver, ndots:0 unless set', () => {
  const host = 'search example.org\nnameserver 10.0.0.2\n';
  assert.equal(renderResolvConf(host, { ownNetns: true, embedded: true }), 'search example.org\nnameserver 127.0.0.11\noptions ndots:0\n');
  assert.equal(renderResolvConf(host, { ownNetns: true, embedded: true, dns: ['1.2.3.4'], options: ['ndots:3'] }), 'search example.org\nnameserver 127.0.0.11\noptions ndots:3\n');
});

test('network modes', () => {
  assert.deepEqual(parseNetworkMode('none'), { kind: 'none' });
  assert.deepEqual(parseNetworkMode('host'), { kind: 'host' });
  assert.deepEqual(parseNetworkMode('container:web'), { kind: 'container', ref: 'web' });
  assert.deepEqual(parseNetworkMode(''), { kind: 'bridge', name: 'bridge' });
  assert.deepEqual(parseNetworkMode('default'), { kind: 'bridge', name: 'bridge' });
  assert.throws(() => parseNetworkMode('container:'), /invalid container format/);
});
