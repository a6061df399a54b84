/** `compose config`: the normalized model (YAML or JSON), or one facet of it (--services, --hash, ...). */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { Ctx } from '../context.js';
import { ComposeError } from '../../compose/errors.js';
import { imageOf } from '../../compose/engine.js';
import { serviceHash } from '../../compose/hash.js';
import type { Project } from '../../compose/model.js';
import { loadFor, type GlobalOpts } from './session.js';

/** The project as `config` prints it: name, services (by name), networks, volumes, secrets, configs. */
export function renderable(p: Project, only: string[] = []): Record<string, unknown> {
  const services: Record<string, unknown> = {};
  for (const name of Object.keys(p.services).sort()) {
    if (only.length > 0 && !only.includes(name)) continue;
    const { name: _n, ...rest } = p.services[name]!;
    services[name] = sortKeys(rest);
  }
  const out: Record<string, unknown> = { name: p.name, services };
  for (const k of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    if (Object.keys(p[k]).length > 0) out[k] = sortKeys(p[k]);
  }
  return out;
}

function sortKeys<T>(o: T): T {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return o;
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, (o as Record<string, unknown>)[k]])) as T;
}

export async function config(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const p = await loadFor(ctx, g, args, { interpolate: o.interpolate !== false });
  for (const a of args) if (!(a in p.services)) throw new ComposeError(`no such service: ${a}`);
  const lines = (xs: string[]) => ctx.stdout.write(xs.map((x) => `${x}\n`).join(''));
  if (o.quiet === true) return 0;
  if (o.services === true) return lines(Object.keys(p.services).filter((s) => args.length === 0 || args.includes(s))), 0;
  if (o.volumes === true) return lines(Object.keys(p.volumes)), 0;
  if (o.networks === true) return lines(Object.keys(p.networks)), 0;
  if (o.profiles === true) {
    const all = new Set<string>();
    for (const s of [...Object.values(p.services), ...Object.values(p.disabled)]) for (const x of s.profiles ?? []) all.add(x);
    return lines([...all].sort()), 0;
  }
  if (o.images === true) return lines(Object.values(p.services).map((s) => imageOf(p, s))), 0;
  if (o.environment === true) return lines(Object.entries(p.environment).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`)), 0;
  if (o.hash !== undefined) {
    const wanted = o.hash === '*' ? Object.keys(p.services) : String(o.hash).split(',');
    for (const w of wanted) if (!(w in p.services)) throw new ComposeError(`no such service: ${w}`);
    return lines(wanted.map((w) => `${w} ${serviceHash(p.services[w]!)}`)), 0;
  }
  const model = renderable(p, args);
  const format = String(o.format ?? 'yaml');
  if (format !== 'yaml' && format !== 'json') throw new ComposeError(`unsupported format "${format}": expected yaml or json`);
  const text = format === 'json' ? `${JSON.stringify(model, null, 2)}\n` : stringify(model, { lineWidth: 0, aliasDuplicateObjects: false });
  if (o.output !== undefined) writeFileSync(String(o.output), text);
  else ctx.stdout.write(text);
  return 0;
}
