import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventMessage } from '../api/types.js';
import { EventBus, matches } from './events.js';

const ev = (Type: EventMessage['Type'], Action: string, ID: string, Attributes: Record<string, string> = {}): EventMessage =>
  ({ Type, Action, Actor: { ID, Attributes }, scope: 'local', time: 0, timeNano: 0 });

const cid = 'a1b2c3d4e5f6'.padEnd(64, '0');
const start = ev('container', 'start', cid, { image: 'busybox', name: 'web', team: 'blue' });
const tag = ev('image', 'tag', 'sha256:feed', { name: 'busybox:v1', maintainer: 'x' });
const netConnect = ev('network', 'connect', 'n'.repeat(64), { container: cid, name: 'appnet', type: 'bridge' });
const vol = ev('volume', 'create', 'data', { driver: 'local' });
const execStart = ev('container', 'exec_start: sh -c true', cid, { execID: 'e1', image: 'busybox', name: 'web' });

test('no filters: everything', () => {
  for (const m of [start, tag, netConnect, vol, execStart]) assert.ok(matches(m, {}));
});

test('type and event: values OR-ed, keys AND-ed, exact', () => {
  assert.ok(matches(start, { type: ['image', 'container'] }));
  assert.ok(!matches(vol, { type: ['image', 'container'] }));
  assert.ok(matches(start, { type: ['container'], event: ['stop', 'start'] }));
  assert.ok(!matches(start, { type: ['image'], event: ['start'] }));
  assert.ok(!matches(start, { event: ['sta'] }), 'no prefix match for ordinary actions');
  assert.ok(!matches(execStart, { event: ['start'] }));
});

test('event: exec_start, exec_create, health_status match their longer actions', () => {
  assert.ok(matches(execStart, { event: ['exec_start'] }));
  assert.ok(matches(execStart, { event: ['exec_start: sh -c true'] }));
  assert.ok(!matches(execStart, { event: ['exec_create'] }));
  assert.ok(matches(ev('container', 'health_status: healthy', cid), { event: ['health_status'] }));
});

test('container/network/volume/daemon: prefix of the ID or of the name attribute, whatever the type', () => {
  assert.ok(matches(start, { container: ['web'] }));
  assert.ok(matches(start, { container: ['a1b2'] }));
  assert.ok(matches(start, { container: ['other', 'we'] }));
  assert.ok(!matches(start, { container: ['other'] }));
  // a network event carries the container only as an attribute: not matched by container=
  assert.ok(!matches(netConnect, { container: ['web'] }));
  assert.ok(matches(netConnect, { network: ['appnet'] }));
  assert.ok(matches(vol, { volume: ['data'] }));
  assert.ok(!matches(vol, { volume: ['other'] }));
  assert.ok(!matches(start, { daemon: ['x'] }));
});

test('image: exact id or name, also without the tag; container events by their image', () => {
  assert.ok(matches(tag, { image: ['sha256:feed'] }));
  assert.ok(matches(tag, { image: ['busybox:v1'] }));
  assert.ok(matches(tag, { image: ['busybox'] }));
  assert.ok(matches(tag, { image: ['docker.io/library/busybox'] }) === false, 'the stripped name is the familiar one');
  assert.ok(matches(start, { image: ['busybox'] }));
  assert.ok(!matches(start, { image: ['busy'] }));
  assert.ok(!matches(vol, { image: ['busybox'] }));
});

test('label: every value must be among the attributes', () => {
  assert.ok(matches(start, { label: ['team'] }));
  assert.ok(matches(start, { label: ['team=blue'] }));
  assert.ok(!matches(start, { label: ['team=red'] }));
  assert.ok(!matches(start, { label: ['team=blue', 'tier'] }));
  assert.ok(matches(tag, { label: ['maintainer=x'] }));
  assert.ok(!matches(ev('builder', 'prune', '', {}), { label: ['x'] }));
});

test('scope', () => {
  assert.ok(matches(start, { scope: ['local'] }));
  assert.ok(!matches(start, { scope: ['swarm'] }));
});

test('publish: Docker fields, increasing exact timeNano; history replays by since/until', () => {
  let now = 1_700_000_000_000_000_000n;
  const bus = new EventBus(() => now);
  const a = bus.publish('container', 'create', 'c1', { image: 'busybox', name: 'x' });
  const b = bus.publish('container', 'start', 'c1', { image: 'busybox', name: 'x' }); // same clock reading
  now += 5_000_000_000n;
  const c = bus.publish('volume', 'create', 'v', { driver: 'local' });
  assert.deepEqual(Object.keys(a), ['status', 'id', 'from', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
  assert.deepEqual(Object.keys(c), ['Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
  assert.equal(a.time, 1_700_000_000);
  assert.ok(b.timeNano > a.timeNano);
  assert.equal(BigInt(JSON.stringify(b.timeNano)), BigInt(b.timeNano), 'timeNano prints exactly');
  assert.deepEqual(bus.history(undefined, undefined, {}), [], 'no bounds: no replay');
  assert.deepEqual(bus.history(0n, undefined, {}), [a, b, c]);
  assert.deepEqual(bus.history(BigInt(b.timeNano), undefined, {}), [b, c]);
  assert.deepEqual(bus.history(undefined, BigInt(b.timeNano), {}), [a, b], 'until alone replays from the start');
  assert.deepEqual(bus.history(0n, undefined, { type: ['volume'] }), [c]);
  const seen: EventMessage[] = [];
  const off = bus.subscribe((m) => seen.push(m));
  const d = bus.publish('network', 'create', 'n', { name: 'n', type: 'bridge' });
  off();
  bus.publish('network', 'destroy', 'n', { name: 'n', type: 'bridge' });
  assert.deepEqual(seen, [d]);
  assert.equal(bus.publish('container', 'prune', '', { reclaimed: '0' }).id, undefined, 'no empty legacy id');
});
