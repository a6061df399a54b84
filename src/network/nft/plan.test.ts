import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDelete, renderRuleset } from './plan.js';
import type { FirewallEndpoint, FirewallNetwork, FirewallPort, FirewallState } from './types.js';

// Tests run from dist/src/...: golden files live in the source tree, found from the repo root (the nearest
// ancestor holding package.json).
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}
const TESTDATA = path.join(repoRoot(), 'src/network/nft/testdata');
const NFT = '/usr/sbin/nft';

function golden(name: string, actual: string): void {
  const file = path.join(TESTDATA, `${name}.nft`);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(TESTDATA, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `missing golden file ${file}; run with UPDATE_GOLDEN=1`);
  assert.equal(actual, readFileSync(file, 'utf8'), `ruleset differs from ${file}; run with UPDATE_GOLDEN=1 if intended`);
}

const ids: Record<string, string> = {
  berth0: '3f1c0d9a7b2e4c6d8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d',
  'br-5e6f7a8b9c0d': '5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f',
  'br-00000000abcd': '00000000abcd1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f',
};
const net = (bridge: string, subnet: string, over: Partial<FirewallNetwork> = {}): FirewallNetwork => ({
  id: ids[bridge] ?? bridge, bridge, subnet,
  gateway: subnet.replace(/0\/\d+$/, '1'), internal: false, icc: true, masquerade: true, ...over,
});
const ep = (bridge: string, hostIface: string, ip: string, mac: string): FirewallEndpoint => ({ bridge, hostIface, ip, mac });
const port = (proto: FirewallPort['proto'], hostIp: string, hostPort: number, containerIp: string, containerPort: number,
  bridge: string): FirewallPort => ({ proto, hostIp, hostPort, containerIp, containerPort, bridge });

const empty: FirewallState = { table: 'berth', networks: [], endpoints: [], ports: [], loopbackDnat: true };

const defaultBridge: FirewallState = {
  table: 'berth',
  networks: [net('berth0', '172.17.0.0/16')],
  endpoints: [ep('berth0', 'veth1a2b3c4', '172.17.0.2', '02:42:AC:11:00:02')],
  ports: [
    port('tcp', '0.0.0.0', 8080, '172.17.0.2', 80, 'berth0'),
    port('udp', '127.0.0.1', 5353, '172.17.0.2', 53, 'berth0'),
    port('tcp', '', 8443, '172.17.0.2', 443, 'berth0'),
    port('tcp', '10.0.0.5', 8080, '172.17.0.2', 80, 'berth0'),
    port('tcp', '::', 8080, '172.17.0.2', 80, 'berth0'), // IPv6: skipped
  ],
  loopbackDnat: true,
};

const twoNetworks: FirewallState = {
  table: 'berth',
  networks: [net('br-5e6f7a8b9c0d', '172.18.0.0/16'), net('berth0', '172.17.0.0/16')],
  endpoints: [
    ep('br-5e6f7a8b9c0d', 'veth2000001', '172.18.0.2', '02:42:ac:12:00:02'),
    ep('berth0', 'veth1000001', '172.17.0.2', '02:42:ac:11:00:02'),
  ],
  ports: [port('tcp', '', 80, '172.18.0.2', 8000, 'br-5e6f7a8b9c0d')],
  loopbackDnat: true,
};

const internal: FirewallState = {
  table: 'berth',
  networks: [net('berth0', '172.17.0.0/16'), net('br-00000000abcd', '172.20.0.0/24', { internal: true })],
  endpoints: [
    ep('br-00000000abcd', 'veth3000001', '172.20.0.2', '02:42:ac:14:00:02'),
    ep('br-00000000abcd', 'veth3000002', '172.20.0.3', '02:42:ac:14:00:03'),
  ],
  ports: [port('tcp', '', 9000, '172.20.0.2', 9000, 'br-00000000abcd')], // internal: not published
  loopbackDnat: true,
};

const iccOff: FirewallState = {
  table: 'berth',
  networks: [net('berth0', '172.17.0.0/16', { icc: false, masquerade: false })],
  endpoints: [
    ep('berth0', 'veth4000002', '172.17.0.3', '02:42:ac:11:00:03'),
    ep('berth0', 'veth4000001', '172.17.0.2', '02:42:ac:11:00:02'),
  ],
  ports: [],
  loopbackDnat: true,
};

const noLoopbackDnat: FirewallState = { ...defaultBridge, loopbackDnat: false };

const cases: Record<string, FirewallState> = {
  empty,
  'default-bridge': defaultBridge,
  'two-networks': twoNetworks,
  internal,
  'icc-false': iccOff,
  'loopback-dnat-false': noLoopbackDnat,
};

for (const [name, state] of Object.entries(cases)) {
  test(`golden: ${name}`, () => golden(name, renderRuleset(state)));
}

test('golden: delete', () => golden('delete', renderDelete('berth')));

test('every golden file parses and validates with the real nft (check mode)', { skip: !existsSync(NFT) && `${NFT} missing` }, () => {
  const files = readdirSync(TESTDATA).filter((f) => f.endsWith('.nft')).sort();
  assert.ok(files.length >= Object.keys(cases).length);
  for (const f of files) {
    try {
      execFileSync(NFT, ['-c', '-f', path.join(TESTDATA, f)], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stderr?: Buffer };
      assert.fail(`nft -c rejected ${f}: ${e.stderr?.toString() ?? String(err)}`);
    }
  }
});

test('each table is replaced atomically: create empty, delete, recreate', () => {
  const lines = renderRuleset(defaultBridge).split('\n');
  for (const fam of ['inet', 'bridge']) {
    const i = lines.indexOf(`table ${fam} berth {}`);
    assert.ok(i >= 0, fam);
    assert.equal(lines[i + 1], `delete table ${fam} berth`);
    assert.equal(lines[i + 2], `table ${fam} berth {`);
  }
  assert.deepEqual(renderDelete('x1').split('\n').filter((l) => l.startsWith('table') || l.startsWith('delete')),
    ['table inet x1 {}', 'delete table inet x1', 'table bridge x1 {}', 'delete table bridge x1']);
});

test('output is deterministic whatever the input order', () => {
  const shuffled: FirewallState = {
    ...twoNetworks,
    networks: [...twoNetworks.networks].reverse(),
    endpoints: [...twoNetworks.endpoints].reverse(),
    ports: [...defaultBridge.ports].reverse(),
  };
  const sorted: FirewallState = { ...twoNetworks, ports: defaultBridge.ports };
  assert.equal(renderRuleset(shuffled), renderRuleset(sorted));
});

test('published ports: DNAT per port, host address only when given, IPv6 skipped, duplicates once', () => {
  const out = renderRuleset({ ...defaultBridge, ports: [...defaultBridge.ports, defaultBridge.ports[0]] });
  assert.match(out, /\ttcp dport 8080 dnat ip to 172\.17\.0\.2:80 comment "0\.0\.0\.0:8080\/tcp"\n/);
  assert.match(out, /\tip daddr 127\.0\.0\.1 udp dport 5353 dnat ip to 172\.17\.0\.2:53 /);
  assert.equal(out.match(/dport 8080 dnat/g)?.length, 2); // wildcard and 10.0.0.5, not ::, not the duplicate
  assert.ok(out.indexOf('ip daddr 10.0.0.5 tcp dport 8080') < out.indexOf('\ttcp dport 8080'), 'specific address first');
});

test('empty sets have no elements line', () => {
  const out = renderRuleset(empty);
  assert.doesNotMatch(out, /elements/);
  assert.match(out, /set endpoints \{\n\t\ttype ifname \. ipv4_addr \. ether_addr\n\t\}/);
});

test('loopbackDnat decides whether locally generated traffic to 127.0.0.0/8 is DNATed and masqueraded', () => {
  const on = renderRuleset(defaultBridge);
  const off = renderRuleset(noLoopbackDnat);
  assert.match(on, /meta nfproto ipv4 fib daddr type local jump published/);
  assert.match(on, /ip saddr 127\.0\.0\.0\/8 oifname "berth0" masquerade/);
  assert.match(off, /ip daddr != 127\.0\.0\.0\/8 fib daddr type local jump published/);
  assert.doesNotMatch(off, /ip saddr 127\.0\.0\.0\/8/);
});

test('subnets are normalised to their network address', () => {
  const out = renderRuleset({ ...empty, networks: [net('berth0', '172.17.0.1/16')] });
  assert.match(out, /ip saddr 172\.17\.0\.0\/16 oifname != "berth0" masquerade/);
});

test('invalid input is rejected before it can reach nft', () => {
  const bad: Array<[Partial<FirewallState>, RegExp]> = [
    [{ table: 'bad name' }, /invalid firewall table name/],
    [{ table: '1abc' }, /invalid firewall table name/],
    [{ networks: [net('br" accept', '10.0.0.0/8')] }, /invalid bridge interface name/],
    [{ networks: [net('averyveryverylongname', '10.0.0.0/8')] }, /invalid bridge interface name/],
    [{ networks: [net('br0', '10.0.0.0/33')] }, /invalid subnet for bridge br0/],
    [{ networks: [net('br0', '10.0.0.0/8'), net('br0', '10.1.0.0/16')] }, /bridge br0 belongs to more than one network/],
    [{ endpoints: [ep('br0', 'veth0', '10.0.0.2', 'zz:42:ac:11:00:02')] }, /invalid MAC address for veth0/],
    [{ endpoints: [ep('br0', 'veth0', '10.0.0.300', '02:42:ac:11:00:02')] }, /invalid endpoint address/],
    [{ ports: [port('tcp', '', 0, '10.0.0.2', 80, 'br0')] }, /invalid host port: 0/],
    [{ ports: [port('tcp', 'localhost', 80, '10.0.0.2', 80, 'br0')] }, /invalid published host address/],
    [{ ports: [{ ...port('tcp', '', 80, '10.0.0.2', 80, 'br0'), proto: 'icmp' as 'tcp' }] }, /invalid protocol/],
  ];
  for (const [over, re] of bad) assert.throws(() => renderRuleset({ ...empty, ...over }), re);
  assert.throws(() => renderDelete('x;y'), /invalid firewall table name/);
});

test('endpoints without an IPv4 address or MAC are left out of the anti-spoofing sets', () => {
  const out = renderRuleset({ ...empty, endpoints: [ep('br0', 'veth0', '', '02:42:ac:11:00:02'), ep('br0', 'veth1', 'fd00::2', '02:42:ac:11:00:03'),
    ep('br0', 'veth2', '10.0.0.2', '')] });
  assert.doesNotMatch(out, /veth/);
});
