import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseSubnet, DEFAULT_POOLS, parsePools, Pool } from './ipam.js';
import { macFromIp, parseCidr, overlaps, formatCidr, parseIfaceCidr } from '../core/ipnet.js';

test('chooseSubnet takes the first default pool that overlaps no route or network', () => {
  assert.equal(chooseSubnet(DEFAULT_POOLS, []), '172.17.0.0/16');
  assert.equal(chooseSubnet(DEFAULT_POOLS, ['192.0.2.0/24', '172.17.0.0/16']), '172.18.0.0/16');
  // a host route inside a pool subnet rules that subnet out
  assert.equal(chooseSubnet(DEFAULT_POOLS, ['172.17.5.0/24', '172.18.0.0/15']), '172.20.0.0/16');
  // a default route (0.0.0.0/0) is not a reason to skip: callers leave it out
  const all172 = Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`);
  assert.equal(chooseSubnet(DEFAULT_POOLS, all172), '192.168.0.0/20');
  assert.throws(() => chooseSubnet([{ base: '10.9.0.0/24', size: 24 }], ['10.9.0.0/16']), /fully subnetted/);
});

test('custom pools are split by size', () => {
  const pools = parsePools([{ base: '10.213.0.0/16', size: 24 }]);
  assert.equal(chooseSubnet(pools, ['10.213.0.0/24', '10.213.1.0/24']), '10.213.2.0/24');
  assert.throws(() => parsePools([{ base: '10.0.0.0/16', size: 8 }]), /invalid pool size/);
  assert.throws(() => parsePools({}), /list/);
});

test('Pool hands out addresses in order, skipping gateway, network and broadcast', () => {
  const p = new Pool('10.1.0.0/29', '10.1.0.1');
  assert.deepEqual([p.allocate(), p.allocate(), p.allocate()], ['10.1.0.2', '10.1.0.3', '10.1.0.4']);
  assert.equal(p.allocate(), '10.1.0.5');
  assert.equal(p.allocate(), '10.1.0.6');
  assert.throws(() => p.allocate(), /no available IPv4 addresses/);
  p.release('10.1.0.3');
  assert.equal(p.allocate(), '10.1.0.3');
});

test('Pool: no double allocation, requests, ranges and releases', () => {
  const p = new Pool('10.2.0.0/24', '10.2.0.254', '10.2.0.128/25');
  assert.equal(p.request('10.2.0.7'), '10.2.0.7');
  assert.throws(() => p.request('10.2.0.7'), /Address already in use/);
  assert.throws(() => p.request('10.2.0.254'), /Address already in use/);
  assert.throws(() => p.request('10.3.0.1'), /does not belong/);
  assert.throws(() => p.request('10.2.0.255'), /does not belong/);
  assert.equal(p.allocate(), '10.2.0.129');
  p.release('10.2.0.129');
  assert.equal(p.allocate(), '10.2.0.130', 'the allocator moves on rather than reuse at once');
  p.release('10.2.0.254');
  assert.ok(p.has('10.2.0.254'), 'the gateway is never released');
  assert.throws(() => new Pool('10.2.0.0/24', '10.9.0.1'), /not in subnet/);
  assert.throws(() => new Pool('10.2.0.0/24', undefined, '10.3.0.0/25'), /inside subnet/);
  assert.equal(Pool.firstHost('10.2.0.0/24'), '10.2.0.1');
});

test('ipnet helpers', () => {
  assert.equal(macFromIp('172.17.0.2'), '02:42:ac:11:00:02');
  assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.1.0.0/16')));
  assert.ok(!overlaps(parseCidr('10.0.0.0/16'), parseCidr('10.1.0.0/16')));
  assert.throws(() => parseCidr('10.0.0.1/24'), /should be 10.0.0.0\/24/);
  assert.equal(formatCidr(parseCidr('10.0.0.1/24', true)), '10.0.0.0/24');
  assert.deepEqual(parseIfaceCidr('10.5.0.1/16').ip, '10.5.0.1');
  assert.throws(() => parseCidr('300.0.0.0/8'), /invalid CIDR/);
});
