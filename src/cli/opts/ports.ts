/** Port specs as docker's go-connections/nat: `-p [ip:][hostPort:]containerPort[/proto]` and `--expose`. */
import { isIP } from 'node:net';
import type { PortBinding } from '../../api/types.js';

export interface PortMapping {
  port: string; // "80/tcp"
  binding: PortBinding;
}

export function splitProtoPort(raw: string): [proto: string, port: string] {
  const i = raw.indexOf('/');
  if (raw === '' || raw === '/') return ['', ''];
  if (i < 0) return ['tcp', raw];
  const port = raw.slice(0, i);
  const proto = raw.slice(i + 1);
  return [proto === '' ? 'tcp' : proto, port];
}

/** "80" -> [80, 80], "8000-8010" -> [8000, 8010]. */
export function parsePortRange(r: string): [number, number] {
  if (r === '') throw new Error('empty string specified for ports');
  const parts = r.split('-');
  const num = (s: string): number => {
    if (!/^\d+$/.test(s)) throw new Error(`invalid port: ${s}`);
    const n = Number.parseInt(s, 10);
    if (n > 65535) throw new Error(`invalid port: ${s}`);
    return n;
  };
  if (parts.length === 1) {
    const n = num(r);
    return [n, n];
  }
  if (parts.length !== 2) throw new Error(`invalid port range: ${r}`);
  const start = num(parts[0] as string);
  const end = num(parts[1] as string);
  if (end < start) throw new Error(`invalid range specified for port: ${r}`);
  return [start, end];
}

function splitParts(raw: string): [ip: string, hostPort: string, containerPort: string] {
  const parts = raw.split(':');
  const n = parts.length;
  const containerPort = parts[n - 1] as string;
  if (n === 1) return ['', '', containerPort];
  if (n === 2) return ['', parts[0] as string, containerPort];
  if (n === 3) return [parts[0] as string, parts[1] as string, containerPort];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2] as string, containerPort];
}

function validateProto(proto: string): void {
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new Error(`invalid proto: ${proto}`);
}

/** nat.ParsePortSpec */
export function parsePortSpec(raw: string): PortMapping[] {
  let [ip, hostPort, cport] = splitParts(raw);
  let proto: string;
  [proto, cport] = splitProtoPort(cport);
  if (ip !== '' && ip.startsWith('[')) {
    if (!ip.endsWith(']')) throw new Error(`invalid IP address ${ip}`);
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && isIP(ip) === 0) throw new Error(`invalid IP address: ${ip}`);
  if (cport === '') throw new Error(`no port specified: ${raw}<empty>`);
  let start: number, end: number;
  try {
    [start, end] = parsePortRange(cport);
  } catch {
    throw new Error(`invalid containerPort: ${cport}`);
  }
  let hStart = 0;
  let hEnd = 0;
  if (hostPort !== '') {
    try {
      [hStart, hEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
  }
  if (hostPort !== '' && end - start !== hEnd - hStart && end !== start) {
    throw new Error(`invalid ranges specified for container and host Ports: ${cport} and ${hostPort}`);
  }
  proto = proto.toLowerCase();
  validateProto(proto);
  const out: PortMapping[] = [];
  for (let i = 0; i <= end - start; i++) {
    let hp = hostPort;
    if (hostPort !== '') hp = String(hStart + i);
    if (start === end && hStart !== hEnd) hp = `${hp}-${hEnd}`;
    out.push({ port: `${start + i}/${proto}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

export interface PortConfig {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, PortBinding[]>;
}

/** -p and --expose flags to ExposedPorts and PortBindings, in flag order. */
export function parsePorts(publish: readonly string[], expose: readonly string[]): PortConfig {
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const spec of publish) {
    for (const m of parsePortSpec(spec)) {
      exposed[m.port] = {};
      (bindings[m.port] ??= []).push(m.binding);
    }
  }
  for (const e of expose) {
    if (e.includes(':')) throw new Error(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let start: number, end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch (err) {
      throw new Error(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    for (let p = start; p <= end; p++) exposed[`${p}/${proto}`] ??= {};
  }
  return { exposed, bindings };
}
