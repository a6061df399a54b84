/**
 * IPAM: picks subnets for new networks and addresses inside a network. Pure: the network store keeps
 * the allocations (and persists them), this module only decides.
 *
 *   chooseSubnet(pools, taken)           -> the first pool subnet overlapping nothing taken
 *   new Pool(subnet, gateway, ipRange)   -> allocate() / request(ip) / release(ip)
 */
import { conflict, invalidArgument } from '../core/errors.js';
import { type Cidr, contains, formatCidr, ipToNum, numToIp, overlaps, parseCidr, size, subnetsOf } from '../core/ipnet.js';

export interface AddressPool {
  base: string;
  size: number;
}

/** Docker's default-address-pools: 172.17-31.0.0/16 then 192.168.0.0/16 in /20s. */
export const DEFAULT_POOLS: AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 }, { base: '172.18.0.0/16', size: 16 }, { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 }, { base: '172.24.0.0/14', size: 16 }, { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/**
 * The first subnet of the pools that overlaps none of `taken` (host routes, other networks).
 * Throws Docker's error when every pool is used up.
 */
export function chooseSubnet(pools: AddressPool[], taken: string[]): string {
  const used = taken.map((t) => parseCidr(t, true));
  for (const p of pools) {
    const base = parseCidr(p.base, true);
    for (const s of subnetsOf(base, p.size)) {
      if (!used.some((u) => overlaps(u, s))) return formatCidr(s);
    }
  }
  throw invalidArgument('all predefined address pools have been fully subnetted');
}

/** Parses daemon.json's default-address-pools ([{ base, size }]). */
export function parsePools(v: unknown): AddressPool[] {
  if (!Array.isArray(v)) throw invalidArgument('default-address-pools must be a list of {"base","size"}');
  return v.map((p) => {
    const o = p as { base?: unknown; size?: unknown };
    if (typeof o.base !== 'string' || typeof o.size !== 'number') throw invalidArgument('default-address-pools must be a list of {"base","size"}');
    const base = parseCidr(o.base, true);
    if (o.size < base.len || o.size > 30) throw invalidArgument(`invalid pool size ${o.size} for ${o.base}`);
    return { base: o.base, size: o.size };
  });
}

/**
 * Addresses of one subnet. The network address and broadcast are never given out, nor the gateway
 * nor auxiliary addresses. Dynamic allocation walks the range from where it last stopped, as Docker's
 * bitmap allocator does, so a just-released address is not handed out again at once.
 */
export class Pool {
  readonly subnet: Cidr;
  readonly range: Cidr;
  private readonly used = new Set<number>();
  private last: number;

  constructor(subnet: string, readonly gateway: string | undefined, ipRange?: string, reserved: string[] = []) {
    this.subnet = parseCidr(subnet);
    this.range = ipRange ? parseCidr(ipRange) : this.subnet;
    if (ipRange && (this.range.len < this.subnet.len || !contains(this.subnet, this.range.base))) {
      throw invalidArgument(`invalid ip-range ${ipRange}: it must be inside subnet ${subnet}`);
    }
    if (gateway !== undefined) {
      if (!contains(this.subnet, ipToNum(gateway))) throw invalidArgument(`invalid gateway ${gateway}: it is not in subnet ${subnet}`);
      this.used.add(ipToNum(gateway));
    }
    for (const r of reserved) this.used.add(ipToNum(r));
    this.last = this.range.base;
  }

  /** The first usable address of the subnet (Docker's default gateway). */
  static firstHost(subnet: string): string {
    const c = parseCidr(subnet);
    return numToIp(c.len >= 31 ? c.base : c.base + 1);
  }

  private usable(n: number): boolean {
    const s = this.subnet;
    if (s.len < 31 && (n === s.base || n === s.base + size(s) - 1)) return false;
    return contains(s, n);
  }

  /** Marks an address as taken (loading persisted state, or `--ip`). */
  request(ip: string): string {
    const n = ipToNum(ip);
    if (!this.usable(n)) throw invalidArgument(`invalid address ${ip}: it does not belong to subnet ${formatCidr(this.subnet)}`);
    if (this.used.has(n)) throw conflict(`Address already in use`);
    this.used.add(n);
    return ip;
  }

  allocate(): string {
    const total = size(this.range);
    for (let i = 0; i < total; i++) {
      const n = this.range.base + ((this.last - this.range.base + 1 + i) % total);
      if (!this.usable(n) || this.used.has(n)) continue;
      this.used.add(n);
      this.last = n;
      return numToIp(n);
    }
    throw conflict(`no available IPv4 addresses on this network's address pools: ${formatCidr(this.subnet)}`);
  }

  release(ip: string): void {
    const n = ipToNum(ip);
    if (this.gateway !== undefined && n === ipToNum(this.gateway)) return;
    this.used.delete(n);
  }

  has(ip: string): boolean {
    return this.used.has(ipToNum(ip));
  }
}
