/**
 * Published ports: from a container's ExposedPorts, PortBindings and PublishAllPorts to concrete host
 * bindings. Pure planning (`planBindings`) and a host-port allocator that knows what this daemon has
 * handed out and asks the caller whether a port is free on the host.
 */
import { conflict, invalidArgument } from '../core/errors.js';
import type { PortBinding } from '../api/types.js';
import { byCodePoint } from '../core/compare.js';

export type Proto = 'tcp' | 'udp' | 'sctp';

export interface BindingRequest {
  proto: Proto;
  containerPort: number;
  hostIp: string;
  /** [0, 0] for "any free port" */
  hostRange: [number, number];
}

export interface Binding {
  proto: Proto;
  containerPort: number;
  hostIp: string;
  hostPort: number;
}

function parseKey(key: string): { proto: Proto; port: number } {
  const [p, proto = 'tcp'] = key.split('/');
  const port = Number(p);
  if (!/^\d+$/.test(p) || port < 1 || port > 65535) throw invalidArgument(`invalid port specification: "${key}"`);
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw invalidArgument(`invalid proto: ${proto}`);
  return { proto, port };
}

function parseHostPort(s: string | undefined, key: string): [number, number] {
  if (!s) return [0, 0];
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  const a = Number(m?.[1]);
  const b = m?.[2] ? Number(m[2]) : a;
  if (!m || a < 1 || b > 65535 || b < a) throw invalidArgument(`invalid port specification: "${s}" for ${key}`);
  return [a, b];
}

/** What the container asks for, in a stable order (port keys sorted numerically). */
export function planBindings(o: {
  exposed?: Record<string, unknown> | null;
  bindings?: Record<string, PortBinding[] | null> | null;
  publishAll?: boolean;
  defaultHostIp?: string;
}): BindingRequest[] {
  const out: BindingRequest[] = [];
  const keys = new Set([...Object.keys(o.bindings ?? {}), ...(o.publishAll ? Object.keys(o.exposed ?? {}) : [])]);
  const sorted = [...keys].map((k) => ({ k, ...parseKey(k) })).sort((a, b) => a.port - b.port || byCodePoint(a.proto, b.proto));
  for (const { k, proto, port } of sorted) {
    const list = o.bindings?.[k];
    const entries = list && list.length ? list : [{}];
    for (const b of entries) {
      const hostIp = b.HostIp || o.defaultHostIp || '0.0.0.0';
      if (hostIp.includes(':')) continue; // IPv6 host addresses: this daemon publishes IPv4 only
      out.push({ proto, containerPort: port, hostIp, hostRange: parseHostPort(b.HostPort, k) });
    }
  }
  return out;
}

/** NetworkSettings.Ports: every exposed or published port, with its bindings or null. */
export function portsView(exposed: Record<string, unknown> | null | undefined, bound: Binding[]): Record<string, PortBinding[] | null> {
  const view: Record<string, PortBinding[] | null> = {};
  for (const k of Object.keys(exposed ?? {})) view[k.includes('/') ? k : `${k}/tcp`] = null;
  for (const b of bound) {
    const k = `${b.containerPort}/${b.proto}`;
    (view[k] ??= []);
    view[k]!.push({ HostIp: b.hostIp, HostPort: String(b.hostPort) });
  }
  return view;
}

const wildcard = (ip: string) => ip === '0.0.0.0' || ip === '';

/**
 * Host ports handed out by this daemon, per protocol. A port is taken for an address when the same
 * port is held on that address or on the wildcard (or the request is for the wildcard).
 */
export class PortAllocator {
  private readonly held = new Map<string, string>(); // "tcp/ip/port" -> container id
  private next: Record<Proto, number>;

  constructor(private readonly range: [number, number] = [32768, 60999]) {
    this.next = { tcp: range[0], udp: range[0], sctp: range[0] };
  }

  private takenBy(proto: Proto, ip: string, port: number): string | undefined {
    for (const [k, owner] of this.held) {
      const [p, hip, hport] = k.split('/');
      if (p !== proto || Number(hport) !== port) continue;
      if (hip === ip || wildcard(hip) || wildcard(ip)) return owner;
    }
    return undefined;
  }

  /** Records bindings that already exist (a daemon restart). */
  restore(owner: string, b: Binding): void {
    this.held.set(`${b.proto}/${b.hostIp}/${b.hostPort}`, owner);
  }

  /**
   * Chooses a host port for each request. `isFree` checks the host (nothing else listens there).
   * All or nothing: on error, what this call took is given back.
   */
  async allocate(owner: string, reqs: BindingRequest[], isFree: (proto: Proto, ip: string, port: number) => Promise<boolean>): Promise<Binding[]> {
    const got: Binding[] = [];
    try {
      for (const r of reqs) {
        const port = await this.pick(r, isFree);
        const b = { proto: r.proto, containerPort: r.containerPort, hostIp: r.hostIp, hostPort: port };
        this.restore(owner, b);
        got.push(b);
      }
      return got;
    } catch (e) {
      this.release(got);
      throw e;
    }
  }

  private async pick(r: BindingRequest, isFree: (proto: Proto, ip: string, port: number) => Promise<boolean>): Promise<number> {
    const [lo, hi] = r.hostRange;
    if (lo !== 0) {
      let lastErr = '';
      for (let p = lo; p <= hi; p++) {
        if (this.takenBy(r.proto, r.hostIp, p)) { lastErr = `Bind for ${r.hostIp}:${p} failed: port is already allocated`; continue; }
        if (!(await isFree(r.proto, r.hostIp, p))) { lastErr = `failed to bind host port for ${r.hostIp}:${p}/${r.proto}: address already in use`; continue; }
        return p;
      }
      throw conflict(lastErr);
    }
    const [a, b] = this.range;
    const total = b - a + 1;
    for (let i = 0; i < total; i++) {
      const p = a + ((this.next[r.proto] - a + i) % total);
      if (this.takenBy(r.proto, r.hostIp, p) || !(await isFree(r.proto, r.hostIp, p))) continue;
      this.next[r.proto] = p + 1 > b ? a : p + 1;
      return p;
    }
    throw conflict(`no free host port for ${r.containerPort}/${r.proto}`);
  }

  release(bs: Binding[]): void {
    for (const b of bs) this.held.delete(`${b.proto}/${b.hostIp}/${b.hostPort}`);
  }
}
