/**
 * The files every container gets bind-mounted at /etc/hosts, /etc/hostname and /etc/resolv.conf,
 * rendered purely from the container's settings (the caller reads the host's files and writes ours).
 */
import { invalidArgument } from '../core/errors.js';

export interface HostEntry { host: string; ip: string }

/** `--add-host name:ip` (also `name=ip`, and `host-gateway` is resolved by the caller). */
export function parseExtraHost(spec: string): HostEntry {
  const m = /^([^:=]+)[:=](.+)$/.exec(spec);
  if (!m) throw invalidArgument(`invalid IP address in add-host: "${spec}"`);
  const ip = m[2].replace(/^\[(.*)\]$/, '$1');
  if (!isIP(ip) && ip !== 'host-gateway') throw invalidArgument(`invalid IP address in add-host: "${m[2]}"`);
  return { host: m[1], ip };
}

export function isIP(s: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s) || (/^[0-9a-fA-F:.]+$/.test(s) && s.includes(':'));
}

const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/**
 * /etc/hosts as Docker writes it: the standard entries, then the container's own address (if it has
 * one on a network) with its hostname, then --add-host entries. In host mode Docker starts from the
 * host's own file instead.
 */
export function renderHosts(o: { base?: string; self?: { ip: string; names: string[] }; extra: HostEntry[] }): string {
  const lines = o.base !== undefined ? [o.base.trimEnd()] : [...DEFAULT_HOSTS];
  for (const e of o.extra) lines.push(`${e.ip}\t${e.host}`);
  if (o.self) lines.push(`${o.self.ip}\t${o.self.names.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * resolv.conf from the host's, as Docker does: --dns replaces the nameservers, --dns-search the search
 * list, --dns-option the options; loopback nameservers are dropped when the container has its own
 * network namespace (they would point at the container itself), and when none remain Google's are
 * NOT added here: Berth leaves the file without nameservers rather than send queries off the host.
 * On user-defined networks the only nameserver is the embedded resolver at 127.0.0.11, as Docker's.
 */
export function renderResolvConf(host: string, o: { dns?: string[]; search?: string[]; options?: string[]; ownNetns: boolean; embedded?: boolean }): string {
  const lines = host.split('\n').map((l) => l.trim());
  let servers = lines.filter((l) => /^nameserver\s/.test(l)).map((l) => l.split(/\s+/)[1]);
  let search = lines.filter((l) => /^(search|domain)\s/.test(l)).flatMap((l) => l.split(/\s+/).slice(1));
  let options = lines.filter((l) => /^options\s/.test(l)).flatMap((l) => l.split(/\s+/).slice(1));
  if (o.dns?.length) servers = o.dns;
  else if (o.ownNetns) servers = servers.filter((s) => !/^127\.|^::1$/.test(s));
  if (o.search?.length) search = o.search.filter((s) => s !== '.');
  if (o.options?.length) options = o.options;
  if (o.embedded) {
    // user-defined networks: the embedded resolver (it forwards to the servers above)
    servers = ['127.0.0.11'];
    if (!options.some((x) => x.startsWith('ndots:'))) options = [...options, 'ndots:0'];
  }
  const out: string[] = [];
  if (search.length) out.push(`search ${search.join(' ')}`);
  for (const s of servers) out.push(`nameserver ${s}`);
  if (options.length) out.push(`options ${options.join(' ')}`);
  return `${out.join('\n')}\n`;
}

/** Network modes of this issue; "bridge"/"default" and user networks come with the networking issue. */
export type NetworkMode =
  | { kind: 'none' }
  | { kind: 'host' }
  | { kind: 'container'; ref: string }
  | { kind: 'bridge'; name: string };

export function parseNetworkMode(mode: string | undefined): NetworkMode {
  const m = mode ?? '';
  if (m === 'none') return { kind: 'none' };
  if (m === 'host') return { kind: 'host' };
  if (m.startsWith('container:')) {
    const ref = m.slice('container:'.length);
    if (!ref) throw invalidArgument('invalid container format container:<name|id>');
    return { kind: 'container', ref };
  }
  return { kind: 'bridge', name: m === '' || m === 'default' ? 'bridge' : m };
}
