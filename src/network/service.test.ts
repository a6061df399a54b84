/**
 * NetworkService through its interface, with no kernel: a fake host (link ops, iproute2 scripts and
 * sysctls are recorded, not run), a fake firewall (the states it was asked to apply) and a fake DNS. The kernel side
 * of the same paths is tested against a real daemon in test/network.test.ts.
 */
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EndpointSettings } from '../api/types.js';
import { EventBus } from '../core/events.js';
import { NetworkService } from './service.js';
import { hostIfaceName } from './links.js';
import { NetworkStore } from './store.js';
import type { NetHost } from './host.js';
import type { NetOp } from '../host/netd.js';
import type { ContainerLookup, NetContainer } from './endpoint.js';
import type { FirewallState } from './nft/types.js';

class FakeHost implements NetHost {
  readonly scripts: { script: string; pid?: number }[] = [];
  readonly sysctls: string[] = [];
  readonly links = new Set<string>();
  async ip(script: string, pid?: number) {
    this.scripts.push({ script, pid });
    for (const m of script.matchAll(/link add (?:name )?(\S+)/g)) this.links.add(m[1]!);
    for (const m of script.matchAll(/link del (?:dev )?(\S+)/g)) this.links.delete(m[1]!);
  }
  readonly ops: NetOp[][] = [];
  /** while set, link deletions wait for it */
  gate?: Promise<void>;
  async apply(ops: NetOp[]) {
    this.ops.push(ops);
    if (this.gate && ops.some((o) => o.op === 'del')) await this.gate;
    for (const o of ops) {
      if (o.op === 'veth') this.links.add(o.name);
      if (o.op === 'del') this.links.delete(o.dev);
    }
  }
  async sysctl(key: string, value: string, pid?: number) { this.sysctls.push(`${pid ?? 'host'} ${key}=${value}`); }
  async readSysctl() { return '1'; }
  async exists(iface: string) { return this.links.has(iface); }
  async hostRoutes() { return ['10.99.0.0/24']; } // the first pool subnet is taken by a host route
  async bridgeAddress() { return undefined; }
  async isPortFree() { return true; }
}

class FakeFirewall {
  readonly applied: FirewallState[] = [];
  readonly namespaced: { pid: number; script: string }[] = [];
  removed = 0;
  async apply(s: FirewallState) { this.applied.push(structuredClone(s)); }
  async remove() { this.removed++; }
  async applyInNamespace(pid: number, script: string) { this.namespaced.push({ pid, script }); }
  get last(): FirewallState { return this.applied.at(-1)!; }
}

class Containers implements ContainerLookup {
  readonly map = new Map<string, NetContainer>();
  get(id: string) { return this.map.get(id); }
  all() { return [...this.map.values()]; }
  resolve(ref: string) {
    const c = this.map.get(ref) ?? [...this.map.values()].find((x) => x.name === `/${ref}`);
    if (!c) throw new Error(`no such container: ${ref}`);
    return c;
  }
}

function hostIfaceOf(c: NetContainer, net: string): string {
  return hostIfaceName(c.id, c.networks![net]!.NetworkID!);
}

let dir: string;
let host: FakeHost;
let fw: FakeFirewall;
let containers: Containers;
let svc: NetworkService;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'berth-netsvc-'));
  host = new FakeHost();
  fw = new FakeFirewall();
  containers = new Containers();
  svc = new NetworkService({
    table: 'berth_unit', defaultBridge: 'bunit0', dns: [], pools: [{ base: '10.99.0.0/16', size: 24 }],
    mtu: 1500, icc: true, ipForward: true, ipMasq: true, userlandProxy: false,
  }, {
    store: await NetworkStore.open(path.join(dir, 'network')), containers, events: new EventBus(), firewall: fw,
    dns: { listen: async () => {}, close: async () => {}, closeAll: async () => {} },
    hostResolvConf: async () => 'nameserver 127.0.0.53\n', log: () => {}, host,
  });
  await svc.init();
  await svc.resync();
});

afterEach(async () => {
  await svc.close();
  await rm(dir, { recursive: true, force: true });
});

function container(id: string, networks: Record<string, EndpointSettings>, extra: Partial<NetContainer> = {}): NetContainer {
  const c: NetContainer = {
    id, name: `/${id}`, config: {}, hostConfig: { NetworkMode: Object.keys(networks)[0] ?? 'default' },
    state: { Status: 'running', Pid: 4242 }, networks, ...extra,
  };
  containers.map.set(id, c);
  return c;
}

test('init: the default bridge avoids a subnet the host routes, and is created once', async () => {
  const bridge = svc.inspect('bridge');
  assert.equal(bridge.IPAM.Config?.[0]?.Subnet, '10.99.1.0/24');
  assert.ok(host.links.has('bunit0'));
  assert.equal(fw.last.table, 'berth_unit');
  assert.deepEqual(fw.last.networks.map((n) => n.bridge), ['bunit0']);
});

test('prepare and wire: an address from the pool, a veth, the firewall sees the endpoint; release gives it all back', async () => {
  const { Id } = await svc.create({ Name: 'app' });
  const c = container('c1'.padEnd(64, '0'), { app: {} });
  const prepared = await svc.prepare(c);
  const ep = c.networks!.app!;
  const ip = ep.IPAddress;
  assert.equal(ep.NetworkID, Id);
  assert.match(ep.IPAddress ?? '', /^10\.99\.2\.\d+$/);
  assert.equal(prepared.selfIp, ep.IPAddress);
  assert.equal(prepared.embeddedDns, true);
  await svc.wire(c, 4242);
  // one request: the veth on the host (its peer into the container), then the container's side
  assert.equal(host.ops.length, 1);
  const ops = host.ops[0]!;
  const veth = ops.findIndex((o) => o.op === 'veth' && o.peerPid === 4242 && o.peer === 'eth0' && o.master !== '');
  const ns = ops.findIndex((o) => o.op === 'ns' && o.pid === 4242);
  assert.ok(veth >= 0 && ns > veth, 'a veth pair on the host, before entering the container');
  assert.ok(ops.slice(ns).some((o) => o.op === 'addr' && o.dev === 'eth0' && o.cidr === `${ep.IPAddress}/24`), 'the address inside the container');
  assert.ok(ops.slice(ns).some((o) => o.op === 'route' && o.via === '10.99.2.1' && o.dev === 'eth0'), 'the default route inside the container');
  assert.ok(ops.slice(ns).some((o) => o.op === 'sysctl' && o.path === 'net/ipv4/conf/eth0/route_localnet'), 'route_localnet for the DNS redirect');
  assert.ok(fw.namespaced.some((n) => n.pid === 4242 && n.script.includes('127.0.0.11')), 'the DNS redirect goes through the firewall');
  assert.deepEqual(fw.last.endpoints.map((e) => e.ip), [ep.IPAddress]);

  // the host side of a release is slow to finish here: the release still returns at once
  let finish!: () => void;
  host.gate = new Promise((r) => { finish = r; });
  const hostEnd = (host.ops[0]![0] as { name: string }).name;
  await svc.release(c);
  assert.deepEqual(svc.inspect('app').Containers, {});
  assert.ok(host.links.has(hostEnd), 'the host end goes in the background');
  // the address is free again at once: another container may ask for it
  const c2 = container('c2'.padEnd(64, '0'), { app: { IPAMConfig: { IPv4Address: ip } } });
  await svc.prepare(c2);
  assert.equal(ep.IPAddress, '', 'a stopped container keeps no address');
  assert.equal(c2.networks!.app!.IPAddress, ip);
  // a network's removal waits for the host side of releases
  let removed = false;
  const rm = svc.remove('app').then(() => { removed = true; }, (e: Error) => e);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(removed, false);
  finish();
  await svc.settle();
  assert.ok(!host.links.has(hostEnd), 'the host end is gone');
  assert.deepEqual(fw.last.endpoints.map((e) => e.ip), [ip], 'the firewall holds only the new container');
  assert.match(String(await rm), /has active endpoints/, 'c2 is still on the network');
});

test('a container started again waits for the host side of its last release (its host veth has the same name)', async () => {
  await svc.create({ Name: 'again' });
  const c = container('c5'.padEnd(64, '0'), { again: {} });
  await svc.prepare(c);
  await svc.wire(c, 4343);
  let finish!: () => void;
  host.gate = new Promise((r) => { finish = r; });
  await svc.release(c);
  let prepared = false;
  const p = svc.prepare(c).then(() => { prepared = true; });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(prepared, false, 'prepare waits');
  finish();
  await p;
  host.gate = undefined;
  await svc.wire(c, 4344);
  assert.ok(host.links.has(hostIfaceOf(c, 'again')), 'the new host veth exists after the old one was deleted');
});

test('published ports reach the firewall and leave with the container', async () => {
  const c = container('c3'.padEnd(64, '0'), { bridge: {} }, {
    config: { ExposedPorts: { '80/tcp': {} } }, hostConfig: { NetworkMode: 'default', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] } },
  });
  await svc.prepare(c);
  assert.deepEqual(c.published?.bindings, [{ proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 18080 }]);
  assert.deepEqual(fw.last.ports.map((p) => [p.hostIp, p.hostPort, p.containerPort]), [['127.0.0.1', 18080, 80]]);
  await svc.release(c);
  assert.equal(c.published, undefined);
  await svc.settle();
  assert.deepEqual(fw.last.ports, []);
});

test('connect and disconnect change only the container given, and a bad request changes nothing', async () => {
  await svc.create({ Name: 'one' });
  const c = container('c4'.padEnd(64, '0'), { bridge: {} });
  await svc.prepare(c);
  await svc.connect('one', c, { Aliases: ['db'] });
  assert.deepEqual(Object.keys(c.networks!).sort(), ['bridge', 'one']);
  assert.deepEqual(c.networks!.one!.Aliases, ['db']);
  await assert.rejects(svc.connect('one', c, {}), /already exists in network one/);
  await assert.rejects(svc.connect('host', c, {}), /connected to host network/);
  assert.deepEqual(Object.keys(c.networks!).sort(), ['bridge', 'one']);
  await svc.disconnect('one', c);
  assert.deepEqual(Object.keys(c.networks!), ['bridge']);
  await assert.rejects(svc.disconnect('one', c), /is not connected to network one/);
});
