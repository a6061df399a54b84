/**
 * Links, addresses and routes: planned as ops (pure, unit-tested) and applied by one executor, which hands
 * them to berth-netd (rtnetlink, no process per call; host/netd.ts) or, without it, runs them as `ip -batch`
 * scripts on the host and through nsenter inside a container's network namespace (toolSteps).
 *
 *   host:       bridgeScript  (the bridge of a network, its gateway address; an `ip -batch` script, once per network)
 *               attachOps     (veth pairs whose peer is created inside the container, or macvlan
 *                              sub-interfaces created straight into the container's namespace)
 *               detachOps     (the host ends of veths)
 *   container:  containerOps  (addresses, interfaces up, lo up, the default route, route_localnet)
 *               dnsRedirectRuleset (127.0.0.11:53 -> the network's embedded DNS, as Docker's resolver)
 */
import { promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import { invalidArgument } from '../core/errors.js';
import { netDaemon, run, type NetOp } from '../host/index.js';

export interface BridgePlan {
  name: string;
  /** gateway address with the subnet's prefix length: "172.17.0.1/16" */
  address?: string;
  mtu: number;
}

export function bridgeScript(b: BridgePlan, exists: boolean): string {
  const lines: string[] = [];
  if (!exists) lines.push(`link add name ${b.name} type bridge`);
  if (b.address) lines.push(`address replace ${b.address} dev ${b.name}`);
  lines.push(`link set dev ${b.name} mtu ${b.mtu} up`);
  return `${lines.join('\n')}\n`;
}

export type AttachPlan =
  | { kind: 'veth'; hostIface: string; ifname: string; mac: string; mtu: number; bridge: string }
  | { kind: 'macvlan'; parent: string; ifname: string; mac: string; mtu: number; mode: string };

/** On the host: veth pairs whose peer is created in the namespace of `pid`, macvlans created straight into it. */
export function attachOps(pid: number, eps: AttachPlan[]): NetOp[] {
  return eps.map((e): NetOp => (e.kind === 'veth'
    ? { op: 'veth', name: e.hostIface, mtu: e.mtu, peer: e.ifname, peerMac: e.mac, peerMtu: e.mtu, peerPid: pid, master: e.bridge }
    : { op: 'macvlan', parent: e.parent, name: e.ifname, mac: e.mac, mtu: e.mtu, pid, mode: e.mode }));
}

export interface ContainerIfacePlan {
  ifname: string;
  /** "10.1.0.2/24" */
  address: string;
}

/**
 * Inside the namespace of `pid`: lo up, addresses, links up, the default route (when there is one), and
 * route_localnet on the interfaces named in `localnet` (the embedded DNS redirect needs it).
 */
export function containerOps(pid: number, ifaces: ContainerIfacePlan[], defaultGateway?: { via: string; dev: string }, localnet: string[] = []): NetOp[] {
  const ops: NetOp[] = [{ op: 'ns', pid }, { op: 'up', dev: 'lo' }];
  for (const i of ifaces) ops.push({ op: 'addr', dev: i.ifname, cidr: i.address }, { op: 'up', dev: i.ifname });
  if (defaultGateway) ops.push({ op: 'route', via: defaultGateway.via, dev: defaultGateway.dev });
  for (const dev of localnet) ops.push({ op: 'sysctl', path: `net/ipv4/conf/${dev}/route_localnet`, value: '1' });
  return ops;
}

/** Removing the host side of a veth removes both ends. */
export function detachOps(hostIfaces: string[]): NetOp[] {
  return hostIfaces.map((dev) => ({ op: 'del', dev }));
}

/** A run of ops for iproute2 and sh, when berth-netd is not there: one per namespace. */
export interface ToolStep {
  /** the namespace of this process, or the host's */
  pid?: number;
  /** an `ip -batch` script */
  ip: string;
  /** /proc/sys writes after it */
  sysctls: { path: string; value: string }[];
}

/** The same ops as `ip -batch` scripts and sysctl writes (the fallback executor's plan; nft ops are refused). */
export function toolSteps(ops: NetOp[]): ToolStep[] {
  const steps: ToolStep[] = [{ ip: '', sysctls: [] }];
  const line = (l: string) => { steps.at(-1)!.ip += `${l}\n`; };
  for (const o of ops) {
    switch (o.op) {
      case 'ns': steps.push({ pid: o.pid, ip: '', sysctls: [] }); break;
      case 'veth':
        line(`link add ${o.name} mtu ${o.mtu} type veth peer name ${o.peer} address ${o.peerMac} mtu ${o.peerMtu} netns ${o.peerPid}`);
        line(o.master ? `link set dev ${o.name} master ${o.master} up` : `link set dev ${o.name} up`);
        break;
      case 'macvlan': line(`link add link ${o.parent} name ${o.name} address ${o.mac} mtu ${o.mtu} netns ${o.pid} type macvlan mode ${o.mode}`); break;
      case 'up': line(`link set dev ${o.dev} up`); break;
      case 'addr': line(`address add ${o.cidr} dev ${o.dev}`); break;
      case 'route': line(`route replace default via ${o.via} dev ${o.dev}`); break;
      case 'del': line(`link del dev ${o.dev}`); break;
      case 'sysctl': steps.at(-1)!.sysctls.push({ path: o.path, value: o.value }); break;
      case 'nft': throw invalidArgument('nft scripts go through the firewall executor');
    }
  }
  return steps.filter((s) => s.ip || s.sysctls.length);
}

export interface DnsRedirect {
  ifname: string;
  /** the container's own address on that interface */
  ip: string;
  /** where the daemon's resolver listens for this network */
  server: string;
}

/**
 * Docker's resolver answers at 127.0.0.11 inside the container. Berth's listens on each user network's
 * gateway; these rules (in the container's own namespace) send 127.0.0.11:53 there and give the query
 * the container's address as its source, so the resolver knows who asked.
 */
export function dnsRedirectRuleset(r: DnsRedirect): string {
  return [
    'table ip berth_dns {',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    `    ip daddr 127.0.0.11 udp dport 53 dnat to ${r.server}:53`,
    `    ip daddr 127.0.0.11 tcp dport 53 dnat to ${r.server}:53`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr 127.0.0.0/8 ip daddr ${r.server} oifname "${r.ifname}" snat to ${r.ip}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Host-side veth name: stable for a (container, network) pair so teardown never needs a lookup. */
export function hostIfaceName(containerId: string, networkId: string): string {
  return `veth${createHash('sha256').update(`${containerId}/${networkId}`).digest('hex').slice(0, 7)}`;
}

async function exec(cmd: string, args: string[], input: string, netns?: number): Promise<void> {
  await run(cmd, args, { input, netns });
}

/** The executor: runs a script on the host, or in the network namespace of `pid`. */
export const netExec = {
  /** ops through berth-netd, or (without it) through ip, nsenter and sh, one process per namespace */
  async apply(ops: NetOp[]): Promise<void> {
    const netd = netDaemon();
    if (netd) return netd.run(ops);
    for (const step of toolSteps(ops)) {
      if (step.pid === undefined) {
        await netExec.ip(step.ip);
        for (const s of step.sysctls) await fsp.writeFile(`/proc/sys/${s.path}`, s.value);
      } else {
        const writes = step.sysctls.map((s) => `echo ${s.value} > /proc/sys/${s.path}\n`).join('');
        await exec('sh', ['-e'], `${step.ip ? `ip -batch - <<'BERTH_IP'\n${step.ip}BERTH_IP\n` : ''}${writes}`, step.pid);
      }
    }
  },
  ip(script: string, pid?: number): Promise<void> {
    if (!script) return Promise.resolve();
    return exec('ip', ['-batch', '-'], script, pid);
  },
  /** a per-namespace sysctl under /proc/sys, written through nsenter for a container */
  async sysctl(key: string, value: string, pid?: number): Promise<void> {
    const file = `/proc/sys/${key.replace(/\./g, '/')}`;
    if (pid === undefined) await fsp.writeFile(file, value);
    else await exec('sh', ['-c', `echo ${value} > ${file}`], '', pid);
  },
  /**
   * Does the interface exist in the daemon's network namespace? /proc/net/dev follows the namespace of
   * the reading process; /sys/class/net shows the one sysfs was mounted in, which differs for a daemon
   * started with `nsenter --net`.
   */
  async exists(iface: string): Promise<boolean> {
    const dev = await fsp.readFile('/proc/net/dev', 'utf8').catch(() => undefined);
    if (dev === undefined) return fsp.access(`/sys/class/net/${iface}`).then(() => true, () => false);
    return dev.split('\n').some((l) => l.slice(0, l.indexOf(':')).trim() === iface);
  },
};

/** A legacy link "name:alias" (or "/name:/me/alias", as stored): the linked container and its alias. */
export function parseLink(l: string): [target: string, alias: string] {
  const [a, b] = l.split(':');
  const target = a.replace(/^\//, '');
  const alias = b ? b.split('/').pop()! : target;
  return [target, alias];
}

/**
 * --link target[:alias] as Docker records it: "/target:/NAME/alias" (NAME is filled in with the new
 * container's name by the caller). parseLink reads it back.
 */
export function normalizeLink(l: string): string {
  const [t, a] = l.split(':');
  if (!t) throw invalidArgument(`invalid link format: ${l}`);
  const target = t.replace(/^\//, '');
  const alias = (a ?? target).split('/').pop()!;
  return `/${target}:/NAME/${alias}`;
}
