/** `compose build|pull|push|images`: the images of a project's services. */
import type { Ctx } from '../context.js';
import { ComposeError } from '../../compose/errors.js';
import { buildImage } from '../../compose/build.js';
import { imageOf } from '../../compose/engine.js';
import { L } from '../../compose/labels.js';
import { settleAll } from '../../compose/limiter.js';
import { openSession, type GlobalOpts } from './session.js';

export async function build(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const names = (args.length > 0 ? args : Object.keys(s.project.services)).filter((n) => s.project.services[n]?.build);
  for (const n of names) {
    const svc = s.project.services[n]!;
    const tag = imageOf(s.project, svc);
    s.progress('Image', tag, 'Building');
    await buildImage(s.client.transport, { tag, build: svc.build!, noCache: o.cache === false, pull: o.pull === true }, (line) => {
      if (o.quiet !== true) ctx.stdout.write(line);
    });
    s.progress('Image', tag, 'Built');
  }
  return 0;
}

export async function pull(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const names = args.length > 0 ? args : Object.keys(s.project.services);
  await settleAll(names.map((n) => s.engine.limit.run(async () => {
    const svc = s.project.services[n]!;
    if (!svc.image || (svc.build && o.ignoreBuildable === true)) return;
    s.progress('Image', svc.image, 'Pulling');
    try {
      for await (const m of await s.client.images.pull(svc.image)) if (m.error) throw new Error(m.error);
      s.progress('Image', svc.image, 'Pulled');
    } catch (err) {
      if (o.ignorePullFailures === true) s.progress('Image', svc.image, `Error: ${(err as Error).message}`);
      else throw new ComposeError(`service "${n}": pull ${svc.image}: ${(err as Error).message}`);
    }
  })));
  return 0;
}

export async function push(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const names = args.length > 0 ? args : Object.keys(s.project.services);
  for (const n of names) {
    const svc = s.project.services[n]!;
    if (!svc.image) continue;
    s.progress('Image', svc.image, 'Pushing');
    try {
      for await (const m of await s.client.images.push(svc.image)) if (m.error) throw new Error(m.error);
      s.progress('Image', svc.image, 'Pushed');
    } catch (err) {
      if (o.ignorePushFailures !== true) throw new ComposeError(`service "${n}": push ${svc.image}: ${(err as Error).message}`);
    }
  }
  return 0;
}

export async function images(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const list = (await s.engine.containers(true)).filter((c) => args.length === 0 || args.includes(c.Labels[L.service] ?? ''));
  const rows: { Container: string; Repository: string; Tag: string; ID: string; Size: number }[] = [];
  for (const c of list) {
    const info = await s.client.images.inspect(c.ImageID || c.Image).catch(() => undefined);
    const [repo, tag] = splitRef(c.Image);
    rows.push({ Container: (c.Names[0] ?? '').replace(/^\//, ''), Repository: repo, Tag: tag, ID: (info?.Id ?? c.ImageID).replace(/^sha256:/, '').slice(0, 12), Size: info?.Size ?? 0 });
  }
  if (o.quiet === true) {
    ctx.stdout.write([...new Set(rows.map((r) => r.ID))].map((x) => `${x}\n`).join(''));
    return 0;
  }
  if (o.format === 'json') {
    ctx.stdout.write(`${JSON.stringify(rows)}\n`);
    return 0;
  }
  const { humanSize } = await import('../../core/humanize.js');
  const table = [['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], ...rows.map((r) => [r.Container, r.Repository, r.Tag, r.ID, humanSize(r.Size)])];
  const w = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  ctx.stdout.write(table.map((r) => r.map((c, i) => c.padEnd(w[i]! + 3)).join('').trimEnd()).join('\n') + '\n');
  return 0;
}

function splitRef(ref: string): [string, string] {
  const at = ref.indexOf('@');
  if (at >= 0) return [ref.slice(0, at), ref.slice(at + 1)];
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, 'latest'];
}
