import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planBindings, PortAllocator, portsView } from './ports.js';

const free = async () => true;

test('planBindings: explicit, ranges, host IPs and -P over exposed ports', () => {
  const reqs = planBindings({
    exposed: { '80/tcp': {}, '53/udp': {}, '9000/tcp': {} },
    bindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }, { HostPort: '' }], '53/udp': [{ HostPort: '5353-5355' }] },
    publishAll: true,
  });
  assert.deepEqual(reqs, [
    { proto: 'udp', containerPort: 53, hostIp: '0.0.0.0', hostRange: [5353, 5355] },
    { proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostRange: [8080, 8080] },
    { proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostRange: [0, 0] },
    { proto: 'tcp', containerPort: 9000, hostIp: '0.0.0.0', hostRange: [0, 0] },
  ]);
  assert.deepEqual(planBindings({ exposed: { '80/tcp': {} } }), [], 'exposed but not published: nothing');
  assert.throws(() => planBindings({ bindings: { '70000/tcp': [] } }), /invalid port/);
  assert.throws(() => planBindings({ bindings: { '80/tcp': [{ HostPort: '9-2' }] } }), /invalid port/);
  assert.throws(() => planBindings({ bindings: { '80/icmp': [] } }), /invalid proto/);
});

test('PortAllocator: no double allocation, wildcard conflicts, random ports walk the range', async () => {
  const a = new PortAllocator([40000, 40002]);
  const [b1] = await a.allocate('c1', [{ proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostRange: [8080, 8080] }], free);
  assert.equal(b1.hostPort, 8080);
  await assert.rejects(a.allocate('c2', [{ proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostRange: [8080, 8080] }], free),
    /Bind for 127.0.0.1:8080 failed: port is already allocated/);
  // udp is a separate space
  await a.allocate('c2', [{ proto: 'udp', containerPort: 80, hostIp: '0.0.0.0', hostRange: [8080, 8080] }], free);
  // a range takes the first free port in it
  const [r] = await a.allocate('c3', [{ proto: 'tcp', containerPort: 81, hostIp: '0.0.0.0', hostRange: [8080, 8082] }], free);
  assert.equal(r.hostPort, 8081);
  // random ports: next free in the ephemeral range, skipping what the host holds
  const hostBusy = async (_p: string, _ip: string, port: number) => port !== 40000;
  const rs = await a.allocate('c4', [
    { proto: 'tcp', containerPort: 1, hostIp: '0.0.0.0', hostRange: [0, 0] },
    { proto: 'tcp', containerPort: 2, hostIp: '0.0.0.0', hostRange: [0, 0] },
  ], hostBusy);
  assert.deepEqual(rs.map((b) => b.hostPort), [40001, 40002]);
  // all or nothing: a failing request gives back what the call took
  await assert.rejects(a.allocate('c5', [
    { proto: 'tcp', containerPort: 1, hostIp: '0.0.0.0', hostRange: [9000, 9000] },
    { proto: 'tcp', containerPort: 2, hostIp: '0.0.0.0', hostRange: [8080, 8080] },
  ], free), /already allocated/);
  const [again] = await a.allocate('c6', [{ proto: 'tcp', containerPort: 1, hostIp: '0.0.0.0', hostRange: [9000, 9000] }], free);
  assert.equal(again.hostPort, 9000);
  a.release([b1]);
  const [b2] = await a.allocate('c7', [{ proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostRange: [8080, 8080] }], free);
  assert.equal(b2.hostPort, 8080);
  await assert.rejects(a.allocate('c8', [{ proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostRange: [7000, 7000] }], async () => false),
    /address already in use/);
});

test('portsView lists exposed ports with null and published ones with their bindings', () => {
  assert.deepEqual(portsView({ '80/tcp': {}, '443/tcp': {} }, [{ proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPort: 8080 }]), {
    '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '443/tcp': null,
  });
});
