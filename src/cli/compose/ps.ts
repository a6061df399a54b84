/** `compose ps`: the project's containers (table or JSON), or only IDs or services; filters on status. */
import type { ContainerSummary } from '../../api/types.js';
import type { Ctx } from '../context.js';
import { humanDuration } from '../../core/humanize.js';
import { ComposeError } from '../../compose/errors.js';
import { L } from '../../compose/labels.js';
import { openSession, type GlobalOpts } from './session.js';

const STATUSES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited'];

function portsText(c: ContainerSummary): string {
  return (c.Ports ?? []).map((p) => (p.PublicPort ? `${p.IP ?? ''}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`)).join(', ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n') + '\n';
}

export async function ps(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const statuses = [...((o.status as string[] | undefined) ?? [])];
  for (const f of (o.filter as string[] | undefined) ?? []) {
    const [k, v] = f.split('=');
    if (k !== 'status' || !v) throw new ComposeError(`invalid filter "${f}": only status=<status> is supported`);
    statuses.push(v);
  }
  for (const st of statuses) if (!STATUSES.includes(st)) throw new ComposeError(`invalid status "${st}": expected one of ${STATUSES.join(', ')}`);
  let list = await s.engine.containers(o.all === true || statuses.length > 0);
  list = list.filter((c) => (args.length === 0 || args.includes(c.Labels[L.service] ?? '')) && (o.all === true || c.Labels[L.oneoff] !== 'True'));
  if (o.orphans === false) list = list.filter((c) => (c.Labels[L.service] ?? '') in s.project.services);
  if (statuses.length > 0) list = list.filter((c) => statuses.includes(c.State));
  list.sort((a, b) => (a.Names[0] ?? '').localeCompare(b.Names[0] ?? ''));
  const name = (c: ContainerSummary) => (c.Names[0] ?? '').replace(/^\//, '');
  if (o.services === true) {
    ctx.stdout.write([...new Set(list.map((c) => c.Labels[L.service] ?? ''))].map((x) => `${x}\n`).join(''));
    return 0;
  }
  if (o.quiet === true) {
    ctx.stdout.write(list.map((c) => `${o.trunc === false ? c.Id : c.Id}\n`).join(''));
    return 0;
  }
  const format = String(o.format ?? 'table');
  if (format === 'json') {
    const out = list.map((c) => ({
      ID: c.Id, Name: name(c), Image: c.Image, Command: c.Command, Project: c.Labels[L.project], Service: c.Labels[L.service],
      Created: c.Created, State: c.State, Status: c.Status, Health: /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '') ?? '',
      ExitCode: Number(/Exited \((\d+)\)/.exec(c.Status)?.[1] ?? 0), Publishers: (c.Ports ?? []).map((p) => ({ URL: p.IP ?? '', TargetPort: p.PrivatePort, PublishedPort: p.PublicPort ?? 0, Protocol: p.Type })),
      Labels: Object.entries(c.Labels).map(([k, v]) => `${k}=${v}`).join(','), Names: name(c), Ports: portsText(c),
    }));
    ctx.stdout.write(out.map((x) => `${JSON.stringify(x)}\n`).join(''));
    return 0;
  }
  const rows = [['NAME', 'IMAGE', 'COMMAND', 'SERVICE', 'CREATED', 'STATUS', 'PORTS']];
  for (const c of list) {
    const cmd = c.Command.length > 20 ? `"${c.Command.slice(0, 19)}…"` : `"${c.Command}"`;
    const created = `${humanDuration(Date.now() - c.Created * 1000)} ago`;
    rows.push([name(c), c.Image, cmd, c.Labels[L.service] ?? '', created, c.Status, portsText(c)]);
  }
  ctx.stdout.write(table(rows));
  return 0;
}
