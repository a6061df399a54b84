/**
 * The topology of one network for `berth network diagram`: the bridge (name, subnets, gateways), each
 * attached container (name, short id, host-side interface, addresses, MAC) and the ports those
 * containers publish. Pure: diagramInput() gathers the facts from API objects, renderDiagramText()
 * and renderDiagramSvg() draw them (deterministically: same input, same bytes).
 */
import type { ContainerInspect, NetworkContainer, NetworkResource } from '../api/types.js';

export interface DiagramPort {
  /** "80/tcp" */
  containerPort: string;
  hostIp: string;
  hostPort: string;
}

export interface DiagramContainer {
  id: string;
  name: string;
  /** IPv4 address without prefix length ('' if none) */
  ip: string;
  mac: string;
  /** host side of the container's veth (a port of the bridge), when the daemon reports it */
  hostIface?: string;
  /** IPv6 address without prefix length, when the endpoint has one */
  ipv6?: string;
  ports: DiagramPort[];
}

export interface DiagramInput {
  network: NetworkResource;
  containers: DiagramContainer[];
}

/** An endpoint of GET /networks/{id}; berthd adds the host-side interface as `HostInterface`. */
type Endpoint = NetworkContainer & { HostInterface?: string };

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

/** The Linux bridge of a bridge network: its name option, else docker's "br-" + short id. */
export function bridgeName(n: NetworkResource): string | undefined {
  if (n.Driver !== 'bridge') return undefined;
  return n.Options?.[BRIDGE_NAME_OPTION] || `br-${n.Id.slice(0, 12)}`;
}

const stripPrefix = (cidr: string | undefined): string => (cidr ?? '').replace(/\/\d+$/, '');

/** Compares strings with digit runs as numbers ("web2" < "web10"), for a stable, readable order. */
export function natural(a: string, b: string): number {
  const ca = a.match(/\d+|\D+/g) ?? [];
  const cb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i] as string;
    const y = cb[i] as string;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      const nx = x.replace(/^0+/, '');
      const ny = y.replace(/^0+/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
    }
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}

function comparePorts(a: DiagramPort, b: DiagramPort): number {
  return natural(a.containerPort, b.containerPort) || natural(a.hostIp, b.hostIp) || natural(a.hostPort, b.hostPort);
}

/**
 * The diagram's facts from a network inspect and the inspects of its containers (by id; a missing
 * one just has no ports). Containers sorted by name, ports by container port.
 */
export function diagramInput(network: NetworkResource, inspects: ReadonlyMap<string, ContainerInspect>): DiagramInput {
  const containers: DiagramContainer[] = [];
  for (const [id, raw] of Object.entries(network.Containers ?? {})) {
    const ep = raw as Endpoint;
    const ports: DiagramPort[] = [];
    for (const [containerPort, bindings] of Object.entries(inspects.get(id)?.NetworkSettings?.Ports ?? {})) {
      for (const b of bindings ?? []) ports.push({ containerPort, hostIp: b.HostIp ?? '', hostPort: b.HostPort ?? '' });
    }
    ports.sort(comparePorts);
    const c: DiagramContainer = { id, name: (ep.Name ?? '').replace(/^\//, ''), ip: stripPrefix(ep.IPv4Address), mac: ep.MacAddress ?? '', ports };
    if (typeof ep.HostInterface === 'string' && ep.HostInterface !== '') c.hostIface = ep.HostInterface;
    const v6 = stripPrefix(ep.IPv6Address);
    if (v6 !== '') c.ipv6 = v6;
    containers.push(c);
  }
  containers.sort((a, b) => natural(a.name, b.name) || natural(a.id, b.id));
  return { network, containers };
}

const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/** "0.0.0.0:8080", "[::]:8080" */
function hostAddr(p: DiagramPort): string {
  return p.hostIp.includes(':') ? `[${p.hostIp}]:${p.hostPort}` : `${p.hostIp}:${p.hostPort}`;
}

/** As `berth port` prints a binding: "80/tcp -> 0.0.0.0:8080". */
export function portLabel(p: DiagramPort): string {
  return `${p.containerPort} -> ${hostAddr(p)}`;
}

/** The lines describing the network itself (title first). */
function networkLines(n: NetworkResource): string[] {
  const lines = [`network ${n.Name}  (${n.Driver}, ${n.Scope || 'local'}, id ${shortId(n.Id)})`];
  const bridge = bridgeName(n);
  if (bridge) lines.push(`bridge ${bridge}`);
  for (const c of n.IPAM?.Config ?? []) {
    const parts: string[] = [];
    if (c.Subnet) parts.push(`subnet ${c.Subnet}`);
    if (c.Gateway) parts.push(`gateway ${c.Gateway}`);
    if (c.IPRange) parts.push(`range ${c.IPRange}`);
    if (parts.length > 0) lines.push(parts.join('  '));
  }
  const flags: string[] = [];
  if (n.Internal) flags.push('internal');
  if (n.EnableIPv6) flags.push('ipv6');
  if (n.Attachable) flags.push('attachable');
  if (flags.length > 0) lines.push(flags.join(', '));
  return lines;
}

/** The labelled detail lines of a container (without its title). */
function containerFields(c: DiagramContainer): [string, string][] {
  const f: [string, string][] = [];
  if (c.hostIface) f.push(['veth', c.hostIface]);
  f.push(['ipv4', c.ip || '-']);
  if (c.ipv6) f.push(['ipv6', c.ipv6]);
  f.push(['mac', c.mac || '-']);
  return f;
}

const containerTitle = (c: DiagramContainer): string => `${c.name || '<unnamed>'}  ${shortId(c.id)}`;

/**
 * The text diagram:
 *
 *   network front  (bridge, local, id 0123456789ab)
 *   bridge br-0123456789ab
 *   subnet 172.18.0.0/16  gateway 172.18.0.1
 *    │
 *    ├── web  4f66ad9a0b2e
 *    │     veth   veth4f66ad9
 *    │     ipv4   172.18.0.2
 *    │     mac    02:42:ac:12:00:02
 *    │     ports  80/tcp -> 0.0.0.0:8080
 *    │
 *    └── db  0123456789ab
 *          ...
 */
export function renderDiagramText(d: DiagramInput): string {
  const out = [...networkLines(d.network)];
  if (d.containers.length === 0) {
    out.push(' (no containers attached)');
    return `${out.join('\n')}\n`;
  }
  out.push(' │');
  d.containers.forEach((c, i) => {
    const last = i === d.containers.length - 1;
    out.push(` ${last ? '└' : '├'}── ${containerTitle(c)}`);
    const rail = last ? '      ' : ' │    ';
    for (const [k, v] of containerFields(c)) out.push(`${rail}${k.padEnd(7)}${v}`);
    c.ports.forEach((p, j) => out.push(`${rail}${(j === 0 ? 'ports' : '').padEnd(7)}${portLabel(p)}`));
    if (!last) out.push(' │');
  });
  return `${out.join('\n')}\n`;
}

// --- SVG --------------------------------------------------------------------------------------

/** Text for XML content and attribute values; characters XML 1.0 cannot hold are dropped. */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const FONT_SIZE = 12;
/** advance of one character of a 12px monospace font, rounded up so text stays inside its box */
const CHAR_W = 8;
const LINE_H = 16;
const PAD = 10;
const MARGIN = 20;
const GAP = 30;
const DROP = 70;
const MIN_BOX_W = 170;

const textWidth = (s: string): number => [...s].length * CHAR_W;

function text(x: number, y: number, s: string, cls: string): string {
  return `<text x="${x}" y="${y}" class="${cls}">${escapeXml(s)}</text>`;
}

/**
 * A standalone SVG of the same topology: the bridge box across the top, one line down from it per
 * container to that container's box (labelled with its veth), the published ports under each box.
 */
export function renderDiagramSvg(d: DiagramInput): string {
  const nLines = networkLines(d.network);
  const boxes = d.containers.map((c) => {
    const lines = [containerTitle(c), ...containerFields(c).filter(([k]) => k !== 'veth').map(([k, v]) => `${k} ${v}`)];
    const ports = c.ports.map(portLabel);
    // the veth label starts just right of the line through the box's middle: room for it on that half
    const w = Math.max(MIN_BOX_W, ...[...lines, ...ports].map((s) => textWidth(s) + 2 * PAD), c.hostIface ? 2 * (textWidth(c.hostIface) + 12) : 0);
    return { c, lines, ports, w };
  });
  const rowW = boxes.reduce((sum, b) => sum + b.w, 0) + GAP * Math.max(0, boxes.length - 1);
  const bridgeW = Math.max(rowW, ...nLines.map((s) => textWidth(s) + 2 * PAD), 2 * MIN_BOX_W);
  const bridgeH = 2 * PAD + nLines.length * LINE_H;
  const boxTop = MARGIN + bridgeH + DROP;
  const boxH = 2 * PAD + Math.max(0, ...boxes.map((b) => b.lines.length)) * LINE_H;
  const maxPorts = Math.max(0, ...boxes.map((b) => b.ports.length));
  const portsTop = boxTop + boxH + 14;
  const width = 2 * MARGIN + bridgeW;
  const height = (boxes.length === 0 ? MARGIN + bridgeH : maxPorts > 0 ? portsTop + 6 + maxPorts * LINE_H : boxTop + boxH) + MARGIN;

  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="${FONT_SIZE}">`);
  out.push(`<title>${escapeXml(`network ${d.network.Name}`)}</title>`);
  out.push('<style>.title{font-weight:bold}.net{fill:#eef4ff;stroke:#3465a4;stroke-width:1.5}.ctr{fill:#f3faef;stroke:#4e9a06;stroke-width:1.5}.link{stroke:#555;stroke-width:1.5}.iface{fill:#555}.port{fill:#a40000}.detail{fill:#222}</style>');
  out.push(`<rect class="net" x="${MARGIN}" y="${MARGIN}" width="${bridgeW}" height="${bridgeH}" rx="6"/>`);
  nLines.forEach((s, i) => out.push(text(MARGIN + PAD, MARGIN + PAD + (i + 1) * LINE_H - 4, s, i === 0 ? 'title' : 'detail')));

  let x = MARGIN + Math.floor((bridgeW - rowW) / 2);
  for (const b of boxes) {
    const cx = x + Math.floor(b.w / 2);
    out.push(`<g class="container" id="${escapeXml(`c-${shortId(b.c.id)}`)}">`);
    out.push(`<line class="link" x1="${cx}" y1="${MARGIN + bridgeH}" x2="${cx}" y2="${boxTop}"/>`);
    if (b.c.hostIface) out.push(text(cx + 6, MARGIN + bridgeH + Math.floor(DROP / 2) + 4, b.c.hostIface, 'iface'));
    out.push(`<rect class="ctr" x="${x}" y="${boxTop}" width="${b.w}" height="${boxH}" rx="6"/>`);
    b.lines.forEach((s, i) => out.push(text(x + PAD, boxTop + PAD + (i + 1) * LINE_H - 4, s, i === 0 ? 'title' : 'detail')));
    b.ports.forEach((s, i) => out.push(text(x + PAD, portsTop + (i + 1) * LINE_H - 4, s, 'port')));
    out.push('</g>');
    x += b.w + GAP;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
