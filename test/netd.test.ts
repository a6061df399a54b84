/**
 * berth-netd against the kernel: a bridge and a network namespace made by the test (a `sleep` in a new
 * netns), the ops berthd sends for a container start, and then `ip -j` and `nft` (run inside that namespace)
 * must show what the ops said: the veth's host end on the bridge and up, its peer in the namespace with its
 * MAC, address, the default route, route_localnet, and the ruleset. Failures name the op and the kernel's
 * error, and the helper is back in its own namespace after every request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { runCmd, TestDaemon } from './harness.js';
import { NetDaemon, NetOpError } from '../src/host/netd.js';
import { nativeHelper } from '../src/host/native.js';

const helper = nativeHelper('berth-netd');
const suffix = String(process.pid % 100000);
const BRIDGE = `btnd${suffix}`;
const HOSTIF = `vnd${suffix}`;

async function ipJson(args: string[], pid?: number): Promise<any[]> {
  const r = pid === undefined ? await runCmd('ip', ['-j', ...args]) : await runCmd('nsenter', ['-t', String(pid), '-n', 'ip', '-j', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout || '[]') as any[];
}

test('berth-netd wires a veth into a namespace, configures it there, loads a ruleset, and reports failures', { skip: !helper && 'berth-netd not built' }, async () => {
  const ns = spawn('unshare', ['--net', 'sleep', '600'], { stdio: 'ignore' });
  const netd = new NetDaemon(helper!);
  try {
    await new Promise((r) => setTimeout(r, 200));
    const pid = Number((await runCmd('pgrep', ['-P', String(ns.pid)])).stdout.trim()) || ns.pid!;
    assert.equal((await runCmd('ip', ['link', 'add', BRIDGE, 'type', 'bridge'])).code, 0);
    assert.equal((await runCmd('ip', ['link', 'set', BRIDGE, 'up'])).code, 0);
    assert.equal(await netd.hasNft(), true, 'libnftables is installed with nftables here');

    await netd.run([
      { op: 'veth', name: HOSTIF, mtu: 1400, peer: 'eth0', peerMac: '02:42:0a:d7:00:05', peerMtu: 1400, peerPid: pid, master: BRIDGE },
      { op: 'ns', pid },
      { op: 'up', dev: 'lo' },
      { op: 'addr', dev: 'eth0', cidr: '10.215.0.5/24' },
      { op: 'up', dev: 'eth0' },
      { op: 'route', via: '10.215.0.1', dev: 'eth0' },
      { op: 'sysctl', path: 'net/ipv4/conf/eth0/route_localnet', value: '1' },
      { op: 'nft', script: 'table ip berth_dns {\n chain output {\n  type nat hook output priority -100; policy accept;\n  ip daddr 127.0.0.11 udp dport 53 dnat to 10.215.0.1:53\n }\n}\n' },
    ]);

    const [hostEnd] = await ipJson(['link', 'show', 'dev', HOSTIF]);
    assert.equal(hostEnd.master, BRIDGE, 'the host end is a port of the bridge');
    assert.ok(hostEnd.flags.includes('UP'));
    assert.equal(hostEnd.mtu, 1400);
    const [peer] = await ipJson(['addr', 'show', 'dev', 'eth0'], pid);
    assert.equal(peer.address, '02:42:0a:d7:00:05');
    assert.equal(peer.mtu, 1400);
    assert.ok(peer.flags.includes('UP'));
    assert.deepEqual(peer.addr_info.filter((a: any) => a.family === 'inet').map((a: any) => `${a.local}/${a.prefixlen}`), ['10.215.0.5/24']);
    const [lo] = await ipJson(['link', 'show', 'dev', 'lo'], pid);
    assert.ok(lo.flags.includes('UP'), 'lo is up');
    const routes = await ipJson(['route', 'show', 'default'], pid);
    assert.deepEqual(routes.map((r: any) => [r.gateway, r.dev]), [['10.215.0.1', 'eth0']]);
    const localnet = await runCmd('nsenter', ['-t', String(pid), '-n', 'cat', '/proc/sys/net/ipv4/conf/eth0/route_localnet']);
    assert.equal(localnet.stdout.trim(), '1');
    const ruleset = await runCmd('nsenter', ['-t', String(pid), '-n', 'nft', 'list', 'table', 'ip', 'berth_dns']);
    assert.match(ruleset.stdout, /ip daddr 127\.0\.0\.11 udp dport 53 dnat to 10\.215\.0\.1:53/);
    // the helper went back to its own namespace: the ruleset is not on the host, the host end is
    assert.notEqual((await runCmd('nft', ['list', 'table', 'ip', 'berth_dns'])).code, 0, 'no such table on the host');
    assert.ok(existsSync(`/sys/class/net/${HOSTIF}`));

    // failures: the op's index, the kernel's errno and words; an nft error carries nft's message
    const exists = await netd.run([{ op: 'veth', name: HOSTIF, mtu: 1400, peer: 'eth9', peerMac: '02:42:0a:d7:00:06', peerMtu: 1400, peerPid: pid, master: BRIDGE }])
      .then(() => undefined, (e: unknown) => e);
    assert.ok(exists instanceof NetOpError);
    assert.equal(exists.index, 0);
    assert.equal(exists.errno, 17);
    assert.match(exists.message, /File exists/);
    const bad = await netd.run([{ op: 'ns', pid }, { op: 'nft', script: 'table ip berth_dns { chain output { bogus } }\n' }]).then(() => undefined, (e: unknown) => e);
    assert.ok(bad instanceof NetOpError);
    assert.equal(bad.index, 1);
    assert.equal(bad.errno, 0);
    assert.match(bad.message, /syntax error/);
    const missing = await netd.run([{ op: 'ns', pid }, { op: 'addr', dev: 'nosuch0', cidr: '10.215.0.9/24' }]).then(() => undefined, (e: unknown) => e);
    assert.ok(missing instanceof NetOpError && missing.index === 1 && /nosuch0/.test(missing.message));
    // the failed request left nothing half-done in the namespace of the next one: the host end is still here
    assert.ok(existsSync(`/sys/class/net/${HOSTIF}`));

    // deleting the host end takes its peer with it; deleting it again is no error
    await netd.run([{ op: 'del', dev: HOSTIF }, { op: 'del', dev: HOSTIF }]);
    assert.ok(!existsSync(`/sys/class/net/${HOSTIF}`));
    assert.deepEqual(await ipJson(['link', 'show', 'dev', 'eth0'], pid).catch(() => []), []);
  } finally {
    netd.close();
    ns.kill('SIGKILL');
    await runCmd('ip', ['link', 'del', HOSTIF]);
    await runCmd('ip', ['link', 'del', BRIDGE]);
  }
});

test('a start on the default bridge and on a user network (with the DNS redirect) spawns no ip, nsenter or nft', { skip: !helper && 'berth-netd not built' }, async () => {
  // wrappers in front of the real tools, first in the daemon's PATH, log every call
  const dir = await fsp.mkdtemp('/tmp/bt-tools-');
  const log = path.join(dir, 'calls.log');
  for (const tool of ['ip', 'nsenter', 'nft']) {
    const real = (await runCmd('sh', ['-c', `command -v ${tool}`])).stdout.trim();
    await fsp.writeFile(path.join(dir, tool), `#!/bin/sh\necho "${tool} $*" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  }
  const savedPath = process.env.PATH;
  process.env.PATH = `${dir}:${savedPath}`;
  let d: TestDaemon | undefined;
  try {
    d = await TestDaemon.create();
    process.env.PATH = savedPath;
    await d.importBusybox();
    await d.dockerOk(['network', 'create', 'ndnet']);
    await d.dockerOk(['run', '-d', '--name', 'peer', '--network', 'ndnet', 'busybox', 'sleep', '600']);
    await fsp.writeFile(log, '');
    const addr = await d.dockerOk(['run', '--rm', 'busybox', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
    assert.match(addr, /inet 10\.213\.\d+\.\d+\/24/, 'the container has its address on the default bridge');
    const ping = await d.dockerOk(['run', '--rm', '--network', 'ndnet', 'busybox', 'ping', '-c1', '-W5', 'peer']);
    assert.match(ping, /1 packets received/, 'the peer is reached by name through the embedded DNS');
    await d.dockerOk(['rm', '-f', 'peer']);
    // the host side of the releases finishes after the exits are reported: give it time to run
    await new Promise((r) => setTimeout(r, 1000));
    const calls = (await fsp.readFile(log, 'utf8')).split('\n').filter(Boolean)
      // the host firewall's own look at other firewalls (every 30 s) is not a container's start
      .filter((c) => !/^nft -j list/.test(c));
    assert.deepEqual(calls, [], 'no tool ran for the starts and exits');
  } finally {
    process.env.PATH = savedPath;
    await d?.stop();
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
