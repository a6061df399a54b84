/** `ps` rows as docker's formatter.ContainerContext renders them. */
import type { ContainerSummary, Port } from '../../api/types.js';
import type { FormatSpec } from './template.js';
import { ellipsis, goTimeString, humanSizeWithPrecision, timeAgo, truncateId } from './humanize.js';

export const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES',
};

const cmpPorts = (a: Port, b: Port): number => {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const ai = a.IP ?? '';
  const bi = b.IP ?? '';
  if (ai !== bi) return ai < bi ? -1 : 1;
  const ap = a.PublicPort ?? 0;
  const bp = b.PublicPort ?? 0;
  if (ap !== bp) return ap - bp;
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
};

const joinHostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

function formGroup(key: string, start: number, last: number): string {
  const parts = key.split('/');
  let type = parts[0] as string;
  let addr = '';
  if (parts.length > 1) {
    addr = parts[0] as string;
    type = parts[1] as string;
  }
  let group = String(start);
  if (start !== last) group = `${group}-${last}`;
  if (addr !== '') group = `${addr.includes(':') ? `[${addr}]` : addr}:${group}->${group}`;
  return `${group}/${type}`;
}

/** docker's DisplayablePorts: "53/udp, 0.0.0.0:8080->80/tcp". */
export function displayablePorts(ports: readonly Port[]): string {
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of [...ports].sort(cmpPorts)) {
    const current = p.PrivatePort;
    let key: string = p.Type;
    if (p.IP) {
      if (p.PublicPort !== current) {
        hostMappings.push(`${joinHostPort(p.IP, p.PublicPort ?? 0)}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  result.push(...hostMappings);
  return result.join(', ');
}

/** Names without the leading "/", link names (with another "/") only when not truncating. */
export function displayNames(names: readonly string[], trunc: boolean): string {
  const out: string[] = [];
  for (const n of names) {
    const s = n.startsWith('/') ? n.slice(1) : n;
    if (trunc && s.includes('/')) continue;
    out.push(s);
  }
  return out.join(',');
}

function displayImage(c: ContainerSummary, trunc: boolean): string {
  if (!c.Image) return '<no image>';
  if (trunc) {
    if (truncateId(c.ImageID) === truncateId(c.Image)) return truncateId(c.Image);
    const at = c.Image.indexOf('@');
    if (at > 0) return c.Image.slice(0, at);
  }
  return c.Image;
}

const labelsString = (l: Record<string, string> | null | undefined): string =>
  Object.entries(l ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export function psContext(c: ContainerSummary, trunc: boolean, now: number = Date.now()): Record<string, unknown> {
  const command = trunc ? ellipsis(c.Command ?? '', 20) : c.Command ?? '';
  let size = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
  if ((c.SizeRootFs ?? 0) > 0) size = `${size} (virtual ${humanSizeWithPrecision(c.SizeRootFs ?? 0, 3)})`;
  const mounts = (c.Mounts ?? []).map((m) => {
    const name = m.Name || m.Source;
    return trunc ? ellipsis(name, 15) : name;
  });
  return {
    Command: JSON.stringify(command),
    CreatedAt: goTimeString(new Date(c.Created * 1000)),
    ID: trunc ? truncateId(c.Id) : c.Id,
    Image: displayImage(c, trunc),
    Labels: labelsString(c.Labels),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Mounts: mounts.join(','),
    Names: displayNames(c.Names ?? [], trunc),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    Ports: displayablePorts(c.Ports ?? []),
    RunningFor: timeAgo(c.Created, now),
    Size: size,
    State: c.State,
    Status: c.Status,
    Label: (k: string) => c.Labels?.[k] ?? '',
  };
}

export function psSpec(trunc: boolean): FormatSpec<ContainerSummary> {
  return { headers: PS_HEADERS, context: (c) => psContext(c, trunc) };
}

/** The default `ps` table. */
export function psTable(list: readonly ContainerSummary[], opts: { trunc: boolean; size: boolean; now?: number }): string[][] {
  const head = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'];
  if (opts.size) head.push('SIZE');
  const rows = [head];
  for (const c of list) {
    const x = psContext(c, opts.trunc, opts.now);
    const row = [x.ID, x.Image, x.Command, x.RunningFor, x.Status, x.Ports, x.Names] as string[];
    if (opts.size) row.push(x.Size as string);
    rows.push(row);
  }
  return rows;
}
