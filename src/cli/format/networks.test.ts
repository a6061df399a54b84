/** `network ls` and `port` output as docker 28 prints it for the same API answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkResource } from '../../api/types.js';
import { goTimeFromRfc3339, joinHostPort, naturalLess, networkSpec, networksTable, portLines, portLookup, sortNetworks } from './networks.js';
import { table } from './table.js';
import { renderRows } from './template.js';

function net(name: string, id: string, over: Partial<NetworkResource> = {}): NetworkResource {
  return {
    Name: name,
    Id: id,
    Created: '2024-05-01T10:00:00.120000000Z',
    Scope: 'local',
    Driver: 'bridge',
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: {},
    Labels: {},
    ...over,
  };
}

const list = [
  net('net10', 'f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1'),
  net('bridge', '2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c'),
  net('host', '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b', { Driver: 'host', EnableIPv4: false }),
  net('net2', '1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef', { Internal: true, Labels: { tier: 'back' } }),
  net('none', '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0', { Driver: 'null', EnableIPv4: false }),
];

test('natural order of names (fvbommel/sortorder)', () => {
  assert.equal(naturalLess('net2', 'net10'), true);
  assert.equal(naturalLess('net10', 'net2'), false);
  assert.equal(naturalLess('a', 'a1'), true);
  assert.equal(naturalLess('a01', 'a1'), false);
  assert.equal(naturalLess('a1', 'a01'), true);
  assert.equal(naturalLess('1a', 'a'), true, 'digits before other characters');
  assert.equal(naturalLess('B', 'a'), true, 'bytewise');
  assert.deepEqual(
    sortNetworks(list).map((n) => n.Name),
    ['bridge', 'host', 'net2', 'net10', 'none'],
  );
});

test('network ls table', () => {
  const expected = [
    'NETWORK ID     NAME      DRIVER    SCOPE',
    '2b3c4d5e6f7a   bridge    bridge    local',
    '9a8b7c6d5e4f   host      host      local',
    '1234567890ab   net2      bridge    local',
    'f0a1b2c3d4e5   net10     bridge    local',
    '0f1e2d3c4b5a   none      null      local',
    '',
  ].join('\n');
  assert.equal(table(networksTable(sortNetworks(list), true)), expected);
  const wide = table(networksTable(sortNetworks(list).slice(0, 1), false)).split('\n');
  assert.equal(wide[1], '2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c   bridge    bridge    local');
});

test('network ls --format', async () => {
  const sorted = sortNetworks(list);
  assert.equal(await renderRows('{{.Name}} {{.IPv4}} {{.Internal}} {{.Labels}}', sorted.slice(1, 3), networkSpec(true)), 'host false false \nnet2 true true tier=back\n');
  assert.equal(
    await renderRows('table {{.ID}}\\t{{.Name}}\\t{{.IPv6}}', sorted.slice(0, 2), networkSpec(true)),
    'NETWORK ID     NAME      IPV6\n2b3c4d5e6f7a   bridge    false\n9a8b7c6d5e4f   host      false\n',
  );
  assert.equal(
    await renderRows('json', sorted.slice(2, 3), networkSpec(false)),
    '{"CreatedAt":"2024-05-01 10:00:00.12 +0000 UTC","Driver":"bridge","ID":"1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef","IPv4":"true","IPv6":"false","Internal":"true","Labels":"tier=back","Name":"net2","Scope":"local"}\n',
  );
});

test('CreatedAt as Go prints a decoded time.Time', () => {
  assert.equal(goTimeFromRfc3339('2024-05-01T10:00:00.123456789Z'), '2024-05-01 10:00:00.123456789 +0000 UTC');
  assert.equal(goTimeFromRfc3339('2024-05-01T10:00:00Z'), '2024-05-01 10:00:00 +0000 UTC');
  assert.equal(goTimeFromRfc3339('0001-01-01T00:00:00Z'), '0001-01-01 00:00:00 +0000 UTC');
  // an offset that is not the local zone's: a fixed zone without a name
  assert.equal(goTimeFromRfc3339('2024-05-01T12:00:00.5+02:00', () => 0), '2024-05-01 12:00:00.5 +0200 +0200');
  assert.equal(goTimeFromRfc3339('2024-05-01T10:00:00+00:00', () => 0), '2024-05-01 10:00:00 +0000 UTC');
});

test('port: all bindings, natural order', () => {
  const ports = {
    '80/tcp': [
      { HostIp: '0.0.0.0', HostPort: '8080' },
      { HostIp: '::', HostPort: '8080' },
    ],
    '443/tcp': [{ HostIp: '127.0.0.1', HostPort: '8443' }],
    '9/udp': [{ HostIp: '0.0.0.0', HostPort: '9999' }],
    '53/udp': null,
  };
  assert.deepEqual(portLines(ports), ['9/udp -> 0.0.0.0:9999', '80/tcp -> 0.0.0.0:8080', '80/tcp -> [::]:8080', '443/tcp -> 127.0.0.1:8443']);
  assert.deepEqual(portLines(null), []);
  assert.deepEqual(portLookup(ports, '80', 'web'), ['0.0.0.0:8080', '[::]:8080']);
  assert.deepEqual(portLookup(ports, '9/udp', 'web'), ['0.0.0.0:9999']);
  assert.throws(() => portLookup(ports, '81/tcp', 'web'), /^Error: Error: No public port '81\/tcp' published for web$/);
  assert.throws(() => portLookup(ports, '81', 'web'), /^Error: Error: No public port '81' published for web$/);
  assert.throws(() => portLookup(ports, '53/udp', 'web'), /No public port '53\/udp' published for web/);
  assert.throws(() => portLookup(ports, 'http', 'web'), /^Error: Error: invalid port \(http\): strconv\.ParseUint: parsing "http": invalid syntax$/);
  assert.throws(() => portLookup(ports, '70000/tcp', 'web'), /invalid port \(70000\): strconv\.ParseUint: parsing "70000": value out of range/);
  assert.equal(joinHostPort('', '80'), ':80');
});
