/** `network ls` rows as docker's network formatter renders them, and `port`'s lines. */
import type { NetworkResource, PortBinding } from '../../api/types.js';
import type { FormatSpec } from './template.js';
import { truncateId } from './humanize.js';

export const NETWORK_HEADERS: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

/** fvbommel/sortorder's NaturalLess (bytewise, digit runs compared as numbers), as a comparator. */
export function naturalCompare(a: string, b: string): number {
  if (naturalLess(a, b)) return -1;
  if (naturalLess(b, a)) return 1;
  return 0;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

export function naturalLess(str1: string, str2: string): boolean {
  const s1 = Buffer.from(str1);
  const s2 = Buffer.from(str2);
  let i1 = 0;
  let i2 = 0;
  while (i1 < s1.length && i2 < s2.length) {
    const c1 = s1[i1] as number;
    const c2 = s2[i2] as number;
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i1++;
      i2++;
      continue;
    }
    for (; i1 < s1.length && s1[i1] === 0x30; i1++);
    for (; i2 < s2.length && s2[i2] === 0x30; i2++);
    const nz1 = i1;
    const nz2 = i2;
    for (; i1 < s1.length && isDigit(s1[i1]); i1++);
    for (; i2 < s2.length && isDigit(s2[i2]); i2++);
    const len1 = i1 - nz1;
    const len2 = i2 - nz2;
    if (len1 !== len2) return len1 < len2;
    const n1 = s1.subarray(nz1, i1).toString();
    const n2 = s2.subarray(nz2, i2).toString();
    if (n1 !== n2) return n1 < n2;
    if (nz1 !== nz2) return nz1 < nz2;
  }
  return s1.length < s2.length;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Go's time.Time.String() of a timestamp decoded from the API's RFC 3339 text: the wall clock and
 * offset as sent ("2024-05-01 10:00:00.123456789 +0000 UTC"); the zone is named when it is UTC or the
 * local zone, else printed as its offset.
 */
export function goTimeFromRfc3339(s: string, localOffsetMinutes?: (d: Date) => number): string {
  const m = /^(\d{4,})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) return s;
  const [, y, mo, d, h, mi, sec, frac = '', zone = 'Z'] = m as unknown as string[];
  const fraction = frac.replace(/0+$/, '');
  const wall = `${y}-${mo}-${d} ${h}:${mi}:${sec}${fraction ? `.${fraction}` : ''}`;
  if (zone === 'Z' || zone === 'z') return `${wall} +0000 UTC`;
  const sign = zone[0] === '-' ? -1 : 1;
  const offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const offStr = `${sign < 0 ? '-' : '+'}${zone.slice(1, 3)}${zone.slice(4, 6)}`;
  const instant = new Date(s);
  const local = Number.isNaN(instant.getTime()) ? undefined : (localOffsetMinutes ?? ((x: Date) => -x.getTimezoneOffset()))(instant);
  if (local !== offset) return `${wall} ${offStr} ${offStr}`;
  if (offset === 0) return `${wall} +0000 UTC`;
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(instant).find((p) => p.type === 'timeZoneName');
  return `${wall} ${offStr} ${part?.value ?? offStr}`;
}

export function networkContext(n: NetworkResource, trunc: boolean): Record<string, unknown> {
  return {
    ID: trunc ? truncateId(n.Id) : n.Id,
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv4: String(n.EnableIPv4 === true),
    IPv6: String(n.EnableIPv6 === true),
    Internal: String(n.Internal === true),
    Labels: Object.entries(n.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    CreatedAt: goTimeFromRfc3339(n.Created ?? ''),
    Label: (k: string) => n.Labels?.[k] ?? '',
  };
}

export function networkSpec(trunc: boolean): FormatSpec<NetworkResource> {
  return { headers: NETWORK_HEADERS, context: (n) => networkContext(n, trunc) };
}

/** Networks in the order `network ls` prints them: natural order of names. */
export function sortNetworks(list: readonly NetworkResource[]): NetworkResource[] {
  return [...list].sort((a, b) => naturalCompare(a.Name, b.Name));
}

/** The default `network ls` table. */
export function networksTable(list: readonly NetworkResource[], trunc: boolean): string[][] {
  const rows = [['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE']];
  for (const n of list) {
    const x = networkContext(n, trunc);
    rows.push([x.ID, x.Name, x.Driver, x.Scope] as string[]);
  }
  return rows;
}

// --- port ---------------------------------------------------------------------------------

/** Go's net.JoinHostPort. */
export function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `port CONTAINER`: "80/tcp -> 0.0.0.0:8080" for every binding, in natural order. */
export function portLines(ports: Record<string, PortBinding[] | null> | null | undefined): string[] {
  const out: string[] = [];
  for (const [from, frontends] of Object.entries(ports ?? {})) {
    for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp ?? '', f.HostPort ?? '')}`);
  }
  return out.sort(naturalCompare);
}

/** strconv.ParseUint(s, 10, 16)'s errors. */
function parsePort(s: string): void {
  if (!/^\d+$/.test(s)) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  if (Number(s) > 65535) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`);
}

/**
 * `port CONTAINER PRIVATE_PORT[/PROTO]`: the host addresses of that port ("0.0.0.0:8080"), tcp when no
 * protocol is given; docker's errors for a bad port or one that is not published.
 */
export function portLookup(ports: Record<string, PortBinding[] | null> | null | undefined, spec: string, container: string): string[] {
  const slash = spec.indexOf('/');
  const port = slash < 0 ? spec : spec.slice(0, slash);
  const proto = (slash < 0 ? '' : spec.slice(slash + 1)) || 'tcp';
  try {
    parsePort(port);
  } catch (err) {
    throw new Error(`Error: invalid port (${port}): ${(err as Error).message}`);
  }
  const frontends = (ports ?? {})[`${port}/${proto}`];
  if (!frontends || frontends.length === 0) throw new Error(`Error: No public port '${spec}' published for ${container}`);
  return frontends.map((f) => joinHostPort(f.HostIp ?? '', f.HostPort ?? '')).sort(naturalCompare);
}
