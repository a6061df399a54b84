/**
 * Links, addresses and routes: planned as `ip -batch` scripts (pure, unit-tested) and applied by one
 * executor that runs iproute2 on the host or, through nsenter, inside a container's network namespace.
 *
 *   host:       bridgeScript  (the bridge of a network, its gateway address)
 *               attachScript  (veth pairs whose peer is created inside the container, or macvlan
 *                              sub-interfaces created straight into the container's namespace)
 *   container:  containerScript (addresses, interfaces up, lo up, the default route)
 *               dnsRedirectRuleset (127.0.0.11:53 -> the network's embedded DNS, as Docker's resolver)
 */
import { promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import { invalidArgument } from '../core/errors.js';
import { run } from '../host/index.js';

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

export function attachScript(pid: number, eps: AttachPlan[]): string {
  const lines: string[] = [];
  for (const e of eps) {
    if (e.kind === 'veth') {
      lines.push(`link add ${e.hostIface} mtu ${e.mtu} type veth peer name ${e.ifname} address ${e.mac} mtu ${e.mtu} netns ${pid}`);
      lines.push(`link set dev ${e.hostIface} master ${e.bridge} up`);
    } else {
      lines.push(`link add link ${e.parent} name ${e.ifname} address ${e.mac} mtu ${e.mtu} netns ${pid} type macvlan mode ${e.mode}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

export interface ContainerIfacePlan {
  ifname: string;
  /** "10.1.0.2/24" */
  address: string;
}

/** Inside the container: addresses, links up, lo up, and the default route (when there is one). */
export function containerScript(ifaces: ContainerIfacePlan[], defaultGateway?: { via: string; dev: string }): string {
  const lines = ['link set dev lo up'];
  for (const i of ifaces) {
    lines.push(`address add ${i.address} dev ${i.ifname}`);
    lines.push(`link set dev ${i.ifname} up`);
  }
  if (defaultGateway) lines.push(`route replace default via ${defaultGateway.via} dev ${defaultGateway.dev}`);
  return `${lines.join('\n')}\n`;
}

/** Removing the host side of a veth removes both ends. */
export function detachScript(hostIfaces: string[]): string {
  return hostIfaces.map((h) => `link del dev ${h}\n`).join('');
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
  ip(script: string, pid?: number): Promise<void> {
    if (!script) return Promise.resolve();
    return exec('ip', ['-batch', '-'], script, pid);
  },
  /** a shell script (set -e) run in the network namespace of `pid` */
  shell(script: string, pid: number): Promise<void> {
    return exec('sh', ['-e'], script, pid);
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
