/**
 * What the network service asks of the host: its routes, a bridge's address, whether a port is free.
 * Read-only: nothing here changes the host (links.ts and nft/ do that).
 */
import { promises as fsp } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { netExec } from './links.js';
import { output, type NetOp } from '../host/index.js';
import type { Proto } from './ports.js';

/** `ip -j ...` output (JSON), or "[]" when the command fails (no such device). */
function ipJson(args: string[]): Promise<string> {
  return output('ip', ['-j', ...args]).then((out) => out || '[]', () => '[]');
}

/** Destinations of the host's IPv4 routes in every table, as CIDRs (loopback and broadcast left out). */
export async function hostRoutes(): Promise<string[]> {
  const out = await ipJson(['-4', 'route', 'show', 'table', 'all']);
  const routes = JSON.parse(out || '[]') as { dst: string; dev?: string }[];
  return routes.map((r) => r.dst).filter((d) => d && d !== 'default' && !d.startsWith('127.') && d !== 'broadcast' && /^\d/.test(d))
    .map((d) => (d.includes('/') ? d : `${d}/32`));
}

/** The first IPv4 address of an interface as CIDR, or undefined when it has none or does not exist. */
export async function bridgeAddress(name: string): Promise<string | undefined> {
  if (!(await netExec.exists(name))) return undefined;
  const out = await ipJson(['-4', 'addr', 'show', 'dev', name]);
  const info = JSON.parse(out || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[];
  const a = info[0]?.addr_info?.[0];
  return a ? `${a.local}/${a.prefixlen}` : undefined;
}

/** Is a host port free? (Nothing else bound there; a bind that works is closed at once.) */
export async function isPortFree(proto: Proto, ip: string, port: number): Promise<boolean> {
  const host = ip || '0.0.0.0';
  if (proto === 'sctp') return true;
  if (proto === 'udp') {
    return new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => { s.close(); resolve(false); });
      s.bind(port, host, () => s.close(() => resolve(true)));
    });
  }
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Every host call NetworkService makes (outside the firewall, which has its own executor): link ops on the
 * host or in a container's namespace (berth-netd, or iproute2 without it), sysctls, and what it reads of the host. Tests give
 * NetworkService their own.
 */
export interface NetHost {
  /** an `ip -batch` script, on the host or in the network namespace of `pid` */
  ip(script: string, pid?: number): Promise<void>;
  /** links, addresses, routes and sysctls, on the host and (after an `ns` op) in a container's namespace */
  apply(ops: NetOp[]): Promise<void>;
  sysctl(key: string, value: string, pid?: number): Promise<void>;
  /** a host sysctl's value ("1"), undefined when unreadable */
  readSysctl(key: string): Promise<string | undefined>;
  exists(iface: string): Promise<boolean>;
  hostRoutes(): Promise<string[]>;
  bridgeAddress(name: string): Promise<string | undefined>;
  isPortFree(proto: Proto, ip: string, port: number): Promise<boolean>;
}

/** The real host. */
export const systemNetHost: NetHost = {
  ip: (script, pid) => netExec.ip(script, pid),
  apply: (ops) => netExec.apply(ops),
  sysctl: (key, value, pid) => netExec.sysctl(key, value, pid),
  readSysctl: (key) => fsp.readFile(`/proc/sys/${key.replace(/\./g, '/')}`, 'utf8').then((v) => v.trim(), () => undefined),
  exists: (iface) => netExec.exists(iface),
  hostRoutes,
  bridgeAddress,
  isPortFree,
};
