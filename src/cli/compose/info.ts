/** `compose top|port|events|cp|ls|version`. */
import type { Ctx } from '../context.js';
import { ComposeError } from '../../compose/errors.js';
import { COMPOSE_VERSION, L } from '../../compose/labels.js';
import { clientFor, openSession, type GlobalOpts } from './session.js';

export async function top(ctx: Ctx, args: string[], _o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const list = (await s.engine.containers(false)).filter((c) => args.length === 0 || args.includes(c.Labels[L.service] ?? ''));
  list.sort((a, b) => (a.Names[0] ?? '').localeCompare(b.Names[0] ?? ''));
  for (const c of list) {
    const t = await s.client.containers.top(c.Id);
    ctx.stdout.write(`${(c.Names[0] ?? '').replace(/^\//, '')}\n`);
    const rows = [t.Titles, ...t.Processes];
    const w = t.Titles.map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)));
    ctx.stdout.write(rows.map((r) => r.map((x, i) => String(x).padEnd(w[i]! + 3)).join('').trimEnd()).join('\n') + '\n\n');
  }
  return 0;
}

export async function port(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const [service, priv] = args as [string, string];
  const s = await openSession(ctx, g, [service]);
  const c = (await s.engine.containers(false)).find((x) => x.Labels[L.service] === service && x.Labels[L.number] === String(o.index ?? '1') && x.Labels[L.oneoff] !== 'True');
  if (!c) throw new ComposeError(`service "${service}" is not running`);
  const proto = String(o.protocol ?? 'tcp');
  const p = (c.Ports ?? []).find((x) => String(x.PrivatePort) === priv && x.Type === proto && x.PublicPort);
  if (!p) throw new ComposeError(`no port ${priv}/${proto} for container ${(c.Names[0] ?? '').replace(/^\//, '')}`);
  ctx.stdout.write(`${p.IP || '0.0.0.0'}:${p.PublicPort}\n`);
  return 0;
}

export async function events(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const stream = await s.client.events({ filters: { label: [`${L.project}=${s.project.name}`], type: ['container'] } });
  process.once('SIGINT', () => stream.close());
  for await (const e of stream) {
    const attrs = (e.Actor?.Attributes ?? {}) as Record<string, string>;
    const svc = attrs[L.service] ?? '';
    if (args.length > 0 && !args.includes(svc)) continue;
    const time = new Date(Math.floor((e.timeNano ?? e.time * 1e9) / 1e6)).toISOString();
    if (o.json === true) {
      ctx.stdout.write(`${JSON.stringify({ time, type: 'container', action: e.Action, id: e.Actor?.ID, service: svc, attributes: attrs })}\n`);
    } else {
      const list = Object.entries(attrs).filter(([k]) => !k.startsWith('com.docker.compose.')).map(([k, v]) => `${k}=${v}`).join(', ');
      ctx.stdout.write(`${time} container ${e.Action} ${e.Actor?.ID ?? ''} (${list})\n`);
    }
  }
  return 0;
}

export async function cp(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const [a, b] = args as [string, string];
  const fromService = /^[a-zA-Z0-9._-]+:/.test(a) && !a.startsWith('/') && !a.startsWith('.');
  const ref = fromService ? a : b;
  const i = ref.indexOf(':');
  const service = ref.slice(0, i);
  const s = await openSession(ctx, g, [service]);
  const c = (await s.engine.containers(true)).find((x) => x.Labels[L.service] === service && x.Labels[L.number] === String(o.index ?? '1') && x.Labels[L.oneoff] !== 'True');
  if (!c) throw new ComposeError(`no container found for service "${service}"`);
  const target = `${c.Id}:${ref.slice(i + 1)}`;
  const { cp: dockerCp } = await import('../commands/filesystem.js');
  return (await dockerCp(ctx, fromService ? [target, b] : [a, target], {})) ?? 0;
}

export async function ls(ctx: Ctx, _args: string[], o: Record<string, unknown>, _g: GlobalOpts): Promise<number> {
  const client = await clientFor(ctx);
  const list = await client.containers.list({ all: o.all === true, filters: { label: [L.project] } });
  const projects = new Map<string, { states: Map<string, number>; files: string }>();
  for (const c of list) {
    const name = c.Labels[L.project]!;
    const p = projects.get(name) ?? { states: new Map(), files: c.Labels[L.configFiles] ?? '' };
    p.states.set(c.State, (p.states.get(c.State) ?? 0) + 1);
    projects.set(name, p);
  }
  const rows = [...projects.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, p]) => ({
    Name: name, Status: [...p.states.entries()].map(([st, n]) => `${st}(${n})`).join(', '), ConfigFiles: p.files,
  }));
  if (o.quiet === true) ctx.stdout.write(rows.map((r) => `${r.Name}\n`).join(''));
  else if (o.format === 'json') ctx.stdout.write(`${JSON.stringify(rows)}\n`);
  else {
    const table = [['NAME', 'STATUS', 'CONFIG FILES'], ...rows.map((r) => [r.Name, r.Status, r.ConfigFiles])];
    const w = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    ctx.stdout.write(table.map((r) => r.map((x, i) => x.padEnd(w[i]! + 3)).join('').trimEnd()).join('\n') + '\n');
  }
  return 0;
}

export async function version(ctx: Ctx, _args: string[], o: Record<string, unknown>, _g: GlobalOpts): Promise<number> {
  if (o.short === true) ctx.stdout.write(`${COMPOSE_VERSION}\n`);
  else if (o.format === 'json') ctx.stdout.write(`${JSON.stringify({ version: `v${COMPOSE_VERSION}` })}\n`);
  else ctx.stdout.write(`Docker Compose version v${COMPOSE_VERSION} (berth)\n`);
  return 0;
}
