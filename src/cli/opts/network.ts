/**
 * `network create` / `network connect` flags to their request bodies, as docker/cli 28 builds them
 * (cli/command/network/create.go, connect.go), with Go's net.ParseIP / ParseCIDR semantics for the
 * subnet checks. Pure: parse errors are thrown as Error with docker's wording.
 */
import type { EndpointSettings, IPAMConfigEntry, NetworkCreateRequest } from '../../api/types.js';

// --- addresses (Go's net package) -----------------------------------------------------------

/** A parsed address in its 16-byte form (IPv4 as ::ffff:a.b.c.d, as Go's net.IP). */
export type IP16 = number[];

function parseIPv4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    // netip rejects empty fields, non-digits, leading zeros and values over 255
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

function parseIPv6(s: string): IP16 | null {
  if (s.includes('%')) return null; // zones are not IPs for net.ParseIP
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const groupsOf = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const fields = part.split(':');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as string;
      if (i === fields.length - 1 && f.includes('.')) {
        const v4 = parseIPv4(f);
        if (!v4) return null;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(f)) return null;
      out.push(Number.parseInt(f, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = groupsOf(s.slice(0, dbl));
    const tail = groupsOf(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = groupsOf(s);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

const V4_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Go's net.ParseIP: the 16-byte form, or null when `s` is not an address. */
export function parseIP(s: string): IP16 | null {
  const v4 = parseIPv4(s);
  if (v4) return [...V4_PREFIX, ...v4];
  if (!s.includes(':')) return null;
  return parseIPv6(s);
}

/** Go's IP.To4: the 4 bytes of an IPv4 (or IPv4-mapped) address, else null. */
function to4(ip: readonly number[]): number[] | null {
  if (ip.length === 4) return [...ip];
  if (ip.length === 16 && V4_PREFIX.every((b, i) => ip[i] === b)) return ip.slice(12);
  return null;
}

export interface IPNet {
  /** network number (4 or 16 bytes) */
  ip: number[];
  /** mask of the same length */
  mask: number[];
}

function cidrMask(ones: number, bits: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < bits / 8; i++) {
    const n = Math.max(0, Math.min(8, ones - i * 8));
    out.push((0xff << (8 - n)) & 0xff);
  }
  return out;
}

/** Go's net.ParseCIDR: the address as written and its network; Go's error text otherwise. */
export function parseCIDR(s: string): { ip: IP16; net: IPNet } {
  const fail = () => new Error(`invalid CIDR address: ${s}`);
  const slash = s.indexOf('/');
  if (slash < 0) throw fail();
  const addr = s.slice(0, slash);
  const maskStr = s.slice(slash + 1);
  const v4 = parseIPv4(addr);
  const ip = v4 ? [...V4_PREFIX, ...v4] : addr.includes(':') ? parseIPv6(addr) : null;
  if (!ip) throw fail();
  const bits = v4 ? 32 : 128;
  if (!/^\d+$/.test(maskStr)) throw fail();
  const ones = Number(maskStr);
  if (ones > bits) throw fail();
  const mask = cidrMask(ones, bits);
  // net.IPNet keeps 4-byte IPv4 networks (networkNumberAndMask also folds IPv4-mapped ones)
  const nip = to4(ip) ?? ip;
  const nmask = nip.length === 4 && mask.length === 16 ? mask.slice(12) : mask;
  return { ip, net: { ip: nip.map((b, i) => b & (nmask[i] ?? 0)), mask: nmask } };
}

/** Go's IPNet.Contains. */
export function netContains(n: IPNet, ip: IP16 | null): boolean {
  if (!ip) return false;
  const x = to4(ip) ?? ip;
  if (x.length !== n.ip.length || n.mask.length !== x.length) return false;
  return x.every((b, i) => ((n.ip[i] as number) & (n.mask[i] as number)) === (b & (n.mask[i] as number)));
}

/** docker/cli's subnetMatches: does `subnet` hold the address (or CIDR's address) `data`? */
export function subnetMatches(subnet: string, data: string): boolean {
  let net: IPNet;
  try {
    net = parseCIDR(subnet).net;
  } catch (err) {
    throw new Error(`invalid subnet: ${(err as Error).message}`);
  }
  const ip = data.includes('/') ? parseCIDR(data).ip : parseIP(data);
  return netContains(net, ip);
}

// --- flag values ----------------------------------------------------------------------------

/** pflag's StringSlice: each value is a CSV record ("a,b" is two values, quotes allowed). */
export function splitCsv(values: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const v of values ?? []) {
    if (v === '') continue;
    let field = '';
    let quoted = false;
    let inQuotes = false;
    for (let i = 0; i < v.length; i++) {
      const c = v[i] as string;
      if (inQuotes) {
        if (c === '"' && v[i + 1] === '"') {
          field += '"';
          i++;
        } else if (c === '"') inQuotes = false;
        else field += c;
      } else if (c === '"' && field === '' && !quoted) {
        inQuotes = true;
        quoted = true;
      } else if (c === ',') {
        out.push(field);
        field = '';
        quoted = false;
      } else field += c;
    }
    out.push(field);
  }
  return out;
}

/** docker's MapOpts: `k=v` (or `k` alone, empty value); later keys win. */
export function mapOpts(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i < 0) out[v] = '';
    else out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** opts.ValidateLabel: a non-empty key without blanks; the value is optional. */
export function validateLabel(value: string): string {
  const eq = value.indexOf('=');
  const key = (eq < 0 ? value : value.slice(0, eq)).replace(/^[ \t]+/, '');
  if (key === '') throw new Error(`invalid label '${value}': empty name`);
  if (/[ \t]/.test(key)) throw new Error(`label '${key}' contains whitespaces`);
  return value;
}

/** opts.ValidateLink: `name` or `name:alias`. */
export function validateLink(value: string): string {
  if (value === '') throw new Error('empty string specified for links');
  if (value.split(':').length > 2) throw new Error(`bad format for links: ${value}`);
  return value;
}

/** pflag's "invalid argument" error for a flag value. */
export function flagValueError(flag: string, value: string, err: unknown): Error {
  return new FlagError(`invalid argument "${value}" for "${flag}" flag: ${(err as Error).message}`);
}

/** An error in a flag's value: docker reports these as usage errors (status 125). */
export class FlagError extends Error {}

// --- network create -------------------------------------------------------------------------

/** The `network create` flags, as commander hands them over. */
export interface NetworkCreateFlags {
  driver?: string;
  opt?: string[];
  label?: string[];
  internal?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  attachable?: boolean;
  ingress?: boolean;
  scope?: string;
  configOnly?: boolean;
  configFrom?: string;
  ipamDriver?: string;
  subnet?: string[];
  ipRange?: string[];
  gateway?: string[];
  auxAddress?: string[];
  ipamOpt?: string[];
}

/** docker/cli's createIPAMConfig: subnets with their range, gateway and auxiliary addresses. */
export function createIPAMConfig(subnets: readonly string[], ipRanges: readonly string[], gateways: readonly string[], aux: Record<string, string>): IPAMConfigEntry[] {
  if (subnets.length < ipRanges.length || subnets.length < gateways.length) {
    throw new Error('every ip-range or gateway must have a corresponding subnet');
  }
  const data = new Map<string, IPAMConfigEntry & { AuxiliaryAddresses: Record<string, string> }>();
  for (const s of subnets) {
    for (const k of data.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new Error('multiple overlapping subnet configuration is not supported');
    }
    data.set(s, { Subnet: s, AuxiliaryAddresses: {} });
  }
  for (const r of ipRanges) {
    let match = false;
    for (const s of subnets) {
      parseCIDR(r);
      if (!subnetMatches(s, r)) continue;
      const d = data.get(s) as IPAMConfigEntry;
      if (d.IPRange) throw new Error(`cannot configure multiple ranges (${r}, ${d.IPRange}) on the same subnet (${s})`);
      d.IPRange = r;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for range ${r}`);
  }
  for (const g of gateways) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, g)) continue;
      const d = data.get(s) as IPAMConfigEntry;
      if (d.Gateway) throw new Error(`cannot configure multiple gateways (${g}, ${d.Gateway}) for the same subnet (${s})`);
      d.Gateway = g;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for gateway ${g}`);
  }
  for (const [key, aa] of Object.entries(aux)) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, aa)) continue;
      (data.get(s) as { AuxiliaryAddresses: Record<string, string> }).AuxiliaryAddresses[key] = aa;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for aux-address ${aa}`);
  }
  // Go leaves an empty AuxiliaryAddresses out (omitempty)
  return [...data.values()].map((d) => {
    const e: IPAMConfigEntry = { Subnet: d.Subnet };
    if (d.IPRange) e.IPRange = d.IPRange;
    if (d.Gateway) e.Gateway = d.Gateway;
    if (Object.keys(d.AuxiliaryAddresses).length > 0) e.AuxiliaryAddresses = d.AuxiliaryAddresses;
    return e;
  });
}

/**
 * The POST /networks/create body docker 28 sends, fields in Go's order. Flag-value errors are
 * FlagErrors (usage, 125); inconsistent IPAM settings plain Errors (1).
 */
export function buildNetworkCreate(name: string, flags: NetworkCreateFlags): NetworkCreateRequest {
  const labels: string[] = [];
  for (const l of flags.label ?? []) {
    try {
      labels.push(validateLabel(l));
    } catch (err) {
      throw flagValueError('--label', l, err);
    }
  }
  const ipam = {
    Driver: flags.ipamDriver ?? 'default',
    Options: mapOpts(flags.ipamOpt),
    Config: createIPAMConfig(splitCsv(flags.subnet), splitCsv(flags.ipRange), splitCsv(flags.gateway), mapOpts(flags.auxAddress)),
  };
  // Go's field order: the embedded CreateOptions first, Name last; EnableIPv4/6 only when given
  const body = { Driver: flags.driver ?? 'bridge', Scope: flags.scope ?? '' } as NetworkCreateRequest;
  if (flags.ipv4 !== undefined) body.EnableIPv4 = flags.ipv4;
  if (flags.ipv6 !== undefined) body.EnableIPv6 = flags.ipv6;
  return Object.assign(body, {
    IPAM: ipam,
    Internal: flags.internal === true,
    Attachable: flags.attachable === true,
    Ingress: flags.ingress === true,
    ConfigOnly: flags.configOnly === true,
    ConfigFrom: flags.configFrom ? { Network: flags.configFrom } : null,
    Options: mapOpts(flags.opt),
    Labels: mapOpts(labels),
    Name: name,
  });
}

// --- network connect ------------------------------------------------------------------------

/** The `network connect` flags, as commander hands them over. */
export interface NetworkConnectFlags {
  ip?: string;
  ip6?: string;
  link?: string[];
  alias?: string[];
  linkLocalIp?: string[];
  driverOpt?: string[];
  gwPriority?: string;
}

/** EndpointSettings plus GwPriority (API 1.48, sent by docker 28 only when set). */
export type ConnectEndpoint = EndpointSettings & { GwPriority?: number };

/** docker/cli's convertDriverOpt. */
export function convertDriverOpt(opts: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of opts) {
    const i = o.indexOf('=');
    const k = (i < 0 ? o : o.slice(0, i)).trim();
    if (i < 0 || k === '') throw new Error('invalid key/value pair format in driver options');
    out[k] = o.slice(i + 1).trim();
  }
  return out;
}

/** The EndpointConfig docker 28 sends with POST /networks/{id}/connect (Go's zero values included). */
export function buildConnectEndpoint(flags: NetworkConnectFlags): ConnectEndpoint {
  const links: string[] = [];
  for (const l of flags.link ?? []) {
    try {
      links.push(validateLink(l));
    } catch (err) {
      throw flagValueError('--link', l, err);
    }
  }
  let gwPriority = 0;
  if (flags.gwPriority !== undefined) {
    const s = flags.gwPriority;
    if (!/^[-+]?\d+$/.test(s)) throw new FlagError(`invalid argument "${s}" for "--gw-priority" flag: strconv.ParseInt: parsing "${s}": invalid syntax`);
    gwPriority = Number.parseInt(s, 10);
  }
  const driverOpts = convertDriverOpt(splitCsv(flags.driverOpt));
  const ipam: NonNullable<EndpointSettings['IPAMConfig']> = {};
  if (flags.ip) ipam.IPv4Address = flags.ip;
  if (flags.ip6) ipam.IPv6Address = flags.ip6;
  const lls = splitCsv(flags.linkLocalIp);
  if (lls.length > 0) ipam.LinkLocalIPs = lls;
  const ep: ConnectEndpoint = {
    IPAMConfig: ipam,
    Links: links.length > 0 ? links : null,
    Aliases: splitCsv(flags.alias),
    DriverOpts: driverOpts,
    MacAddress: '',
  };
  if (gwPriority !== 0) ep.GwPriority = gwPriority;
  Object.assign(ep, {
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  });
  return ep;
}
