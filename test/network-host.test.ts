/**
 * Networking and the host, against a real berthd: a container cannot reach the host's loopback through
 * its bridge (CVE-2020-8558 class) while published ports on 127.0.0.1 still work; `docker network
 * connect` from the default bridge gives the embedded DNS and `disconnect` takes it back; a daemon that
 * stops with nothing running leaves no nft tables behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { busyboxDaemon, runCmd, waitFor } from './harness.js';

const t = busyboxDaemon();

async function ok(args: string[]): Promise<string> {
  return t.d.dockerOk(args);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * Sends one UDP datagram as a raw Ethernet frame out of `ifname`: what any process with CAP_NET_RAW in a
 * container can do (the default capability set has it). Run with nsenter in the container's namespace.
 */
const RAW_SENDER = `
import socket, struct, sys
ifname, src_mac, dst_mac, src_ip, dst_ip, dport, payload = sys.argv[1:8]
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
data = payload.encode()
src, dst = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
udp = struct.pack('!HHHH', 40000, int(dport), 8 + len(data), 0) + data
c = csum(src + dst + struct.pack('!BBH', 0, 17, len(udp)) + udp) or 0xffff
udp = udp[:6] + struct.pack('!H', c) + udp[8:]
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, src, dst)
ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
eth = bytes.fromhex(dst_mac.replace(':', '')) + bytes.fromhex(src_mac.replace(':', '')) + b'\\x08\\x00'
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
s.send(eth + ip + udp)
`;

/** a UDP socket on the host that records what it receives */
async function listen(address: string): Promise<{ port: number; got: string[]; close(): void }> {
  const s = dgram.createSocket('udp4');
  const got: string[] = [];
  s.on('message', (m) => got.push(m.toString()));
  await new Promise<void>((r) => s.bind(0, address, r));
  return { port: s.address().port, got, close: () => s.close() };
}

test('a container cannot reach the host\'s 127.0.0.1 through its bridge; published ports on 127.0.0.1 still work', async () => {
  const p = await freePort();
  await ok(['run', '-d', '--name', 'attacker', '-p', `127.0.0.1:${p}:80`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
  const [pid, ip, mac, gw] = (await ok(['inspect', '-f',
    '{{.State.Pid}} {{.NetworkSettings.Networks.bridge.IPAddress}} {{.NetworkSettings.Networks.bridge.MacAddress}} {{.NetworkSettings.Networks.bridge.Gateway}}',
    'attacker'])).split(' ');
  const gwMac = readFileSync(`/sys/class/net/${t.d.bridge}/address`, 'utf8').trim();
  assert.equal(readFileSync(`/proc/sys/net/ipv4/conf/${t.d.bridge}/route_localnet`, 'utf8').trim(), '1', 'the kernel path for 127.0.0.1 ports is on');
  const loop = await listen('127.0.0.1');
  const control = await listen(gw);
  try {
    const send = async (dst: string, port: number, payload: string) => {
      const r = await runCmd('nsenter', ['-t', pid, '-n', 'python3', '-c', RAW_SENDER, 'eth0', mac, gwMac, ip, dst, String(port), payload]);
      assert.equal(r.code, 0, r.stderr);
    };
    await send('127.0.0.1', loop.port, 'to-loopback');
    await send(gw, control.port, 'to-gateway');
    // the frame to the gateway's own address arrives: the sender works, so silence on loopback means something
    await waitFor(async () => control.got.length > 0, 5000, 'the control datagram to the gateway address');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(control.got, ['to-gateway']);
    assert.deepEqual(loop.got, [], 'a raw frame to 127.0.0.1 through the bridge reached the host\'s loopback');
  } finally {
    loop.close();
    control.close();
  }
  // the published port on 127.0.0.1 still works (DNAT in output, route_localnet, masquerade of the reply path)
  const body = await waitFor(async () => fetch(`http://127.0.0.1:${p}/hostname`, { signal: AbortSignal.timeout(2000) }).then((r) => r.text(), () => undefined), 5000, 'the published port');
  assert.equal(body.trim(), await ok(['inspect', '-f', '{{.Config.Hostname}}', 'attacker']));
  await ok(['rm', '-f', 'attacker']);
});

test('network connect from the default bridge gives the embedded DNS; disconnect from the last user network takes it back', async () => {
  await ok(['network', 'create', 'dnsnet']);
  try {
    await ok(['run', '-d', '--name', 'db', '--network', 'dnsnet', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    await ok(['run', '-d', '--name', 'web', 'busybox', 'sleep', '1000']);
    const original = await ok(['exec', 'web', 'cat', '/etc/resolv.conf']);
    assert.doesNotMatch(original, /127\.0\.0\.11/);
    await ok(['network', 'connect', 'dnsnet', 'web']);
    const connected = await ok(['exec', 'web', 'cat', '/etc/resolv.conf']);
    assert.match(connected, /^nameserver 127\.0\.0\.11$/m);
    assert.equal(connected.match(/^nameserver/gm)?.length, 1, connected);
    const dbHost = await ok(['inspect', '-f', '{{.Config.Hostname}}', 'db']);
    assert.equal(await ok(['exec', 'web', 'sh', '-c', 'timeout 5 wget -qO- http://db/hostname; exit $?']), dbHost, 'db resolves from web');
    // a second user network, then leaving the first: the DNS follows to the one left
    await ok(['network', 'create', 'dnsnet2']);
    try {
      await ok(['network', 'connect', 'dnsnet2', 'web']);
      await ok(['network', 'connect', 'dnsnet2', 'db']);
      await ok(['network', 'disconnect', 'dnsnet', 'web']);
      assert.match(await ok(['exec', 'web', 'cat', '/etc/resolv.conf']), /^nameserver 127\.0\.0\.11$/m);
      assert.equal(await ok(['exec', 'web', 'sh', '-c', 'timeout 5 wget -qO- http://db/hostname; exit $?']), dbHost, 'through the network left');
      await ok(['network', 'disconnect', 'dnsnet2', 'web']);
    } finally {
      await t.d.docker(['network', 'disconnect', '-f', 'dnsnet2', 'db']);
      await t.d.docker(['network', 'rm', 'dnsnet2']);
    }
    assert.equal(await ok(['exec', 'web', 'cat', '/etc/resolv.conf']), original, 'the original resolv.conf is back');
    const r = await t.d.docker(['exec', 'web', 'sh', '-c', 'timeout 5 nslookup db 127.0.0.11; exit $?']);
    assert.notEqual(r.code, 0, `127.0.0.11 no longer answers: ${r.stdout}`);
  } finally {
    await t.d.docker(['rm', '-f', 'web', 'db']);
    await t.d.docker(['network', 'rm', 'dnsnet']);
  }
});

test('a daemon stopped with nothing running removes its nft tables; they come back at start and stay while containers run', async () => {
  const { firewallTable } = await import('../src/daemon/config.js');
  const table = firewallTable(t.d.dataRoot);
  const has = async (family: string) => (await runCmd('nft', ['list', 'table', family, table])).code === 0;
  assert.ok(await has('inet') && await has('bridge'), 'tables while the daemon runs');
  await ok(['run', '-d', '--name', 'keeper', 'busybox', 'sleep', '1000']);
  await t.d.halt('SIGTERM');
  assert.ok(await has('inet') && await has('bridge'), 'kept while a container runs');
  await t.d.start();
  await ok(['rm', '-f', 'keeper']);
  await t.d.halt('SIGTERM');
  assert.ok(!(await has('inet')), 'inet table gone');
  assert.ok(!(await has('bridge')), 'bridge table gone');
  assert.equal(readFileSync(`/proc/sys/net/ipv4/conf/${t.d.bridge}/route_localnet`, 'utf8').trim(), '0', 'no route to 127.0.0.0/8 without the guard');
  await t.d.start();
  assert.ok(await has('inet') && await has('bridge'), 'back at start');
  assert.equal(readFileSync(`/proc/sys/net/ipv4/conf/${t.d.bridge}/route_localnet`, 'utf8').trim(), '1');
});
