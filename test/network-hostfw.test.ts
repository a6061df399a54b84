/**
 * Berth on a host where another firewall drops forwarded traffic, as Debian's docker.io leaves it: the
 * iptables-nft FORWARD policy DROP (with Docker's DOCKER-USER chain), br_netfilter calling iptables for
 * bridged traffic, and a hand-written nftables forward chain with policy drop. All of it lives in a
 * network namespace this test makes, with berthd running inside it: the host's real policy and sysctls
 * are never touched. A second namespace, joined to the first by a veth, is "another host".
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { TestDaemon, runCmd, waitFor } from './harness.js';

let d: TestDaemon | undefined;
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-3)}`;
const NS = `btfw${tag}`;
const PEER = `btfp${tag}`;
/** the daemon's namespace is 10.212.9.1 towards the peer, which is 10.212.9.2 */
const NS_IP = '10.212.9.1';
const PEER_IP = '10.212.9.2';
let peerHttpd: ChildProcess | undefined;

const sh = async (cmd: string, args: string[], input?: string) => {
  const r = await runCmd(cmd, args, { input });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
/** a command in the daemon's namespace (ip netns exec: its own /sys, so sysfs shows that namespace) */
const inNs = (args: string[], input?: string) => sh('ip', ['netns', 'exec', NS, ...args], input);

const DOCKER_LIKE = [
  // what dockerd (iptables-nft backend) leaves: FORWARD policy DROP, DOCKER-USER jumped to first
  ['iptables-nft', '-P', 'FORWARD', 'DROP'],
  ['iptables-nft', '-N', 'DOCKER-USER'],
  ['iptables-nft', '-A', 'FORWARD', '-j', 'DOCKER-USER'],
  // what ufw adds: INPUT policy DROP with replies and loopback accepted (the embedded DNS on a user
  // network's gateway is host input)
  ['iptables-nft', '-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'],
  ['iptables-nft', '-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT'],
  ['iptables-nft', '-P', 'INPUT', 'DROP'],
  // and the same FORWARD policy on the legacy backend (x_tables), which some hosts still use
  ['iptables-legacy', '-P', 'FORWARD', 'DROP'],
];
/** a hand-written nftables ruleset with a dropping forward chain (nftables.conf style) */
const NATIVE = 'table inet hostfw {\n chain forward {\n  type filter hook forward priority 0; policy drop;\n  iifname "lo" accept\n }\n}\n';

const BRNF = '/proc/sys/net/bridge/bridge-nf-call-iptables';
/** the host's own br_netfilter setting, which must stay as it is */
const hostBrnf = existsSync(BRNF) ? readFileSync(BRNF, 'utf8') : undefined;
// loading br_netfilter would change every namespace of the host: without it, the test does not run
const skip = hostBrnf === undefined ? 'br_netfilter is not loaded on this host (the test does not load it)' : false;

before(async () => {
  if (skip) return;
  await sh('ip', ['netns', 'add', NS]);
  await sh('ip', ['netns', 'add', PEER]);
  await sh('ip', ['-n', NS, '-batch', '-'], [
    `link add veth0 type veth peer name eth0 netns ${PEER}`, `address add ${NS_IP}/24 dev veth0`, 'link set veth0 up', 'link set lo up',
  ].join('\n'));
  await sh('ip', ['-n', PEER, '-batch', '-'], [`address add ${PEER_IP}/24 dev eth0`, 'link set eth0 up', 'link set lo up'].join('\n'));
  // br_netfilter's switch is per network namespace on this kernel: on here, whatever the host has
  await inNs(['sh', '-c', `echo 1 > ${BRNF}`]);
  for (const c of DOCKER_LIKE) await inNs(c);
  await inNs(['nft', '-f', '-'], NATIVE);
  d = await TestDaemon.create({}, { netns: NS });
  await d.importBusybox();
  // a web server on "another host", which containers reach through the daemon's namespace
  await sh('sh', ['-c', `mkdir -p /tmp/${PEER} && echo peer > /tmp/${PEER}/index.html`]);
  peerHttpd = spawn('ip', ['netns', 'exec', PEER, 'busybox', 'httpd', '-f', '-p', '8099', '-h', `/tmp/${PEER}`], { stdio: 'ignore' });
});

after(async () => {
  await d?.stop();
  peerHttpd?.kill('SIGKILL');
  await runCmd('ip', ['netns', 'del', PEER]);
  await runCmd('ip', ['netns', 'del', NS]);
  await runCmd('rm', ['-rf', `/tmp/${PEER}`]);
});

async function ok(args: string[]): Promise<string> {
  return d!.dockerOk(args);
}
const WGET = 'timeout 5 wget -qO-';
async function wgetFrom(args: string[], url: string): Promise<string> {
  const r = await d!.docker(['run', '--rm', ...args, 'busybox', 'sh', '-c', `${WGET} ${url}; exit $?`]);
  assert.equal(r.code, 0, `wget ${url} from a container: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}
const iptablesSave = () => inNs(['iptables-nft-save', '-t', 'filter']);
const nativeChain = () => inNs(['nft', 'list', 'chain', 'inet', 'hostfw', 'forward']);

const legacySave = () => inNs(['iptables-legacy-save', '-t', 'filter']);

test('setup: the namespace really drops forwarded traffic and calls iptables for bridged frames', { skip }, async () => {
  assert.match(await iptablesSave(), /:FORWARD DROP/);
  assert.match(await iptablesSave(), /:INPUT DROP/);
  assert.match(await legacySave(), /:FORWARD DROP/);
  assert.equal((await inNs(['cat', BRNF])).trim(), '1');
  assert.equal(readFileSync(BRNF, 'utf8'), hostBrnf, 'the host\'s own setting is unchanged');
  assert.ok(!existsSync(`/sys/class/net/${d!.bridge}`), 'the bridge is in the namespace, not on the host');
});

test('beside a FORWARD DROP: container to container by IP, by name on a user network, published port, outbound', { skip }, async () => {
  const dd = d!;
  await ok(['run', '-d', '--name', 'web', '-p', '8088:80', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
  const host = await ok(['inspect', '-f', '{{.Config.Hostname}}', 'web']);
  const ip = await ok(['inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', 'web']);
  // same bridge, by IP: bridged between two ports, so br_netfilter hands it to iptables FORWARD
  assert.equal(await wgetFrom([], `http://${ip}/hostname`), host, 'container to container by IP on the default bridge');
  // user network, by name through the embedded DNS
  await ok(['network', 'create', 'appnet']);
  await ok(['run', '-d', '--name', 'db', '--network', 'appnet', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
  const dbHost = await ok(['inspect', '-f', '{{.Config.Hostname}}', 'db']);
  assert.equal(await wgetFrom(['--network', 'appnet'], 'http://db/hostname'), dbHost, 'by name on a user network');
  // published port from another host: DNAT in prerouting, then forwarded onto the bridge
  const got = await waitFor(async () => {
    const r = await runCmd('ip', ['netns', 'exec', PEER, 'busybox', 'timeout', '3', 'busybox', 'wget', '-qO-', `http://${NS_IP}:8088/hostname`]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }, 10000, 'the published port from the peer');
  assert.equal(got, host);
  // out of the bridge to another host (masquerade, forwarded out)
  assert.equal(await wgetFrom([], `http://${PEER_IP}:8099/`), 'peer', 'container to another host');
  assert.equal(await wgetFrom(['--network', 'appnet'], `http://${PEER_IP}:8099/`), 'peer', 'user network to another host');

  // docker info says what was found and done
  const info = JSON.parse(await ok(['info', '--format', '{{json .Warnings}}'])) as string[];
  assert.ok(info.some((w) => /iptables-nft FORWARD chain has policy DROP/.test(w)), info.join('\n'));
  assert.ok(info.some((w) => /iptables-nft INPUT chain has policy DROP/.test(w)), info.join('\n'));
  assert.ok(info.some((w) => /forward chain "forward" of table inet hostfw has policy drop/.test(w)), info.join('\n'));
  assert.ok(info.some((w) => /bridge-nf-call-iptables is enabled/.test(w)), info.join('\n'));

  // the accepts are Berth's own, narrowly scoped, and the other tools' rules are as they were
  const appBridge = (JSON.parse(await ok(['network', 'inspect', 'appnet'])) as { Id: string }[])[0].Id.slice(0, 12);
  let saved = await iptablesSave();
  assert.match(saved, /:FORWARD DROP/);
  assert.match(saved, /-A FORWARD -j DOCKER-USER\n/);
  assert.ok(saved.indexOf('-A FORWARD -j DOCKER-USER') < saved.indexOf('-A FORWARD -m comment --comment "berth:'), 'appended after Docker\'s jump');
  assert.match(saved, new RegExp(`-A BERTH-\\S+-FWD -i ${dd.bridge} -j ACCEPT`));
  assert.match(saved, new RegExp(`-A BERTH-\\S+-FWD -i br-${appBridge} -j ACCEPT`));
  assert.match(await legacySave(), new RegExp(`-A BERTH-\\S+-FWD -i br-${appBridge} -j ACCEPT`), 'the legacy backend too');
  assert.match(saved, new RegExp(`-A BERTH-\\S+-IN -d [\\d.]+/32 -i br-${appBridge} -p udp -m udp --dport 53 -j ACCEPT`), 'DNS at INPUT');
  assert.doesNotMatch(saved, new RegExp(`-A BERTH-\\S+-IN .*-i ${dd.bridge} `), 'the default bridge has no embedded DNS');
  let native = await nativeChain();
  assert.match(native, /policy drop/);
  assert.match(native, /iifname "lo" accept/);
  assert.match(native, new RegExp(`iifname "br-${appBridge}" accept comment "berth:`));

  // the network goes: exactly its rules go
  await ok(['rm', '-f', 'db']);
  await ok(['network', 'rm', 'appnet']);
  await waitFor(async () => !(await iptablesSave()).includes(`br-${appBridge}`), 5000, 'the user network\'s iptables rules to go');
  saved = await iptablesSave();
  assert.match(saved, new RegExp(`-A BERTH-\\S+-FWD -i ${dd.bridge} -j ACCEPT`), 'the default bridge keeps its accepts');
  native = await nativeChain();
  assert.doesNotMatch(native, new RegExp(`br-${appBridge}`));
  assert.match(native, new RegExp(`iifname "${dd.bridge}" accept`));
  assert.equal(await wgetFrom([], `http://${ip}/hostname`), host, 'still works on the default bridge');

  // a daemon that stops with nothing running takes all of its rules away, and leaves the others' alone
  await ok(['rm', '-f', 'web']);
  await dd.halt('SIGTERM');
  saved = await iptablesSave();
  assert.doesNotMatch(saved, /berth|BERTH/i);
  assert.doesNotMatch(await legacySave(), /berth|BERTH/i);
  assert.match(await legacySave(), /:FORWARD DROP/);
  assert.match(saved, /:FORWARD DROP/);
  assert.match(saved, /-A FORWARD -j DOCKER-USER/);
  native = await nativeChain();
  assert.doesNotMatch(native, /berth/);
  assert.match(native, /iifname "lo" accept/);
  await dd.start();
  assert.match(await iptablesSave(), new RegExp(`-A BERTH-\\S+-FWD -i ${dd.bridge} -j ACCEPT`), 'back at start');
});
