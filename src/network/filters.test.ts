import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesFilters, matchesPruneFilters } from './filters.js';
import type { NetworkRecord } from './record.js';

const net = (over: Partial<NetworkRecord>): NetworkRecord => ({
  id: 'a1b2c3d4e5f6', name: 'appnet', created: new Date().toISOString(), driver: 'bridge', predefined: false, internal: false,
  attachable: false, enableIPv6: false, options: {}, labels: {}, ipamDriver: 'default', ipamOptions: {}, auxAddresses: {},
  mtu: 1500, endpoints: {}, ...over,
});

test('list filters: values of a key OR, keys AND; unknown keys are refused', () => {
  const n = net({ labels: { team: 'a', tier: '' } });
  assert.equal(matchesFilters(n, { name: ['app'], driver: ['macvlan', 'bridge'] }), true);
  assert.equal(matchesFilters(n, { name: ['app'], driver: ['macvlan'] }), false);
  assert.equal(matchesFilters(n, { label: ['team=a'] }), true);
  assert.equal(matchesFilters(n, { label: ['team=b', 'tier'] }), true);
  assert.equal(matchesFilters(n, { type: ['builtin'] }), false);
  assert.equal(matchesFilters(n, { dangling: ['true'] }), true);
  assert.throws(() => matchesFilters(n, { colour: ['x'] }), /invalid filter 'colour'/);
});

test("prune filters: until takes Docker's durations, dates and timestamps; label and label! all must hold", () => {
  const old = net({ created: new Date(Date.now() - 2 * 3600_000).toISOString(), labels: { keep: 'no' } });
  const fresh = net({ created: new Date().toISOString() });
  assert.equal(matchesPruneFilters(old, { until: ['1h'] }), true);
  assert.equal(matchesPruneFilters(fresh, { until: ['1h'] }), false);
  assert.equal(matchesPruneFilters(old, { until: [String(Math.floor(Date.now() / 1000))] }), true);
  assert.equal(matchesPruneFilters(fresh, { until: ['2001-01-01'] }), false);
  assert.equal(matchesPruneFilters(old, { label: ['keep=no'] }), true);
  assert.equal(matchesPruneFilters(old, { 'label!': ['keep'] }), false);
  assert.throws(() => matchesPruneFilters(old, { until: ['1h', '2h'] }), /more than one until filter/);
  assert.throws(() => matchesPruneFilters(old, { driver: ['bridge'] }), /invalid filter 'driver'/);
});
