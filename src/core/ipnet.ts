/** IPv4 arithmetic for IPAM and the planners: addresses as unsigned 32-bit numbers, CIDRs as base+length. */
import { invalidArgument } from './errors.js';

export interface Cidr {
  /** network address (host bits cleared) */
  base: number;
  len: number;
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return V4.test(s);
}

export function ipToNum(ip: string): number {
  if (!V4.test(ip)) throw invalidArgument(`invalid IP address: ${ip}`);
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export function numToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff - (2 ** (32 - len) - 1));
}

/** Parses "10.1.0.0/24"; host bits must be clear unless `loose` (then they are cleared). */
export function parseCidr(s: string, loose = false): Cidr {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s);
  if (!m || !V4.test(m[1]) || Number(m[2]) > 32) throw invalidArgument(`invalid CIDR address: ${s}`);
  const len = Number(m[2]);
  const ip = ipToNum(m[1]);
  const base = (ip & mask(len)) >>> 0;
  if (!loose && base !== ip) throw invalidArgument(`invalid subnet ${s}: it should be ${numToIp(base)}/${len}`);
  return { base, len };
}

/** "10.1.0.5/24" -> the address and the prefix length (as --bip gives them). */
export function parseIfaceCidr(s: string): { ip: string; cidr: Cidr } {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s);
  if (!m || !V4.test(m[1]) || Number(m[2]) > 32) throw invalidArgument(`invalid CIDR address: ${s}`);
  return { ip: m[1], cidr: parseCidr(s, true) };
}

export function formatCidr(c: Cidr): string {
  return `${numToIp(c.base)}/${c.len}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.len);
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + size(c);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

/** Docker's MAC for an address: 02:42 followed by the four bytes of the IPv4 address. */
export function macFromIp(ip: string): string {
  const n = ipToNum(ip);
  const bytes = [0x02, 0x42, ...[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Splits `base` into subnets of prefix length `len` (Docker's default-address-pools entries). */
export function* subnetsOf(base: Cidr, len: number): Generator<Cidr> {
  if (len < base.len) return;
  const step = 2 ** (32 - len);
  for (let b = base.base; b < base.base + size(base); b += step) yield { base: b, len };
}

/** Whether an IPv4 address lies in a CIDR (false for anything that is not both). */
export function ipInCidr(ip: string, cidr: string): boolean {
  if (!isIPv4(ip)) return false;
  try {
    return contains(parseCidr(cidr, true), ipToNum(ip));
  } catch {
    return false;
  }
}
