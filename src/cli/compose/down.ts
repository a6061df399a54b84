/**
 * `compose down`: stop and remove the project's containers (dependents first), its networks, and with
 * -v its named and anonymous volumes; with --rmi its images. Only what carries the project's labels (or
 * is declared, non-external, in the model) is touched.
 */
import type { Ctx } from '../context.js';
import { DaemonError } from '../../client/errors.js';
import { ComposeError } from '../../compose/errors.js';
import { imageOf } from '../../compose/engine.js';
import { L, projectFilter } from '../../compose/labels.js';
import { openSession, type GlobalOpts, type Session } from './session.js';

const gone = (e: unknown) => (e instanceof DaemonError && e.statusCode === 404 ? undefined : Promise.reject(e));

export async function down(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  if (o.rmi !== undefined && o.rmi !== 'local' && o.rmi !== 'all') throw new ComposeError(`invalid --rmi value "${String(o.rmi)}": expected "local" or "all"`);
  let s: Session;
  try {
    s = await openSession(ctx, g, args);
  } catch (err) {
    // without compose files, `down -p name` still removes what carries the project's label
    if (!(err instanceof ComposeError) || !g.projectName || !/no configuration file/.test(err.message)) throw err;
    const { clientFor, progressWriter, parallelOf } = await import('./session.js');
    const { Engine } = await import('../../compose/engine.js');
    const client = await clientFor(ctx);
    const project = { name: g.projectName, workingDir: process.cwd(), configFiles: [], envFiles: [], services: {}, disabled: {}, networks: {}, volumes: {}, secrets: {}, configs: {}, environment: {} };
    const progress = progressWriter(ctx, g);
    s = { ctx, global: g, project, client, engine: new Engine(client, project, { parallel: parallelOf(g, ctx.env), progress }), progress };
    o.removeOrphans = true;
  }
  if (o.timeout !== undefined) s.engine.opts.timeout = Number(o.timeout);
  const p = s.project;
  const all = await s.engine.containers(true);
  const known = (svc: string) => svc in p.services || svc in p.disabled;
  const targets = all.filter((c) => {
    const svc = c.Labels[L.service] ?? '';
    if (args.length > 0) return args.includes(svc);
    return known(svc) || o.removeOrphans === true;
  });
  const orphans = all.filter((c) => !known(c.Labels[L.service] ?? '') && c.Labels[L.oneoff] !== 'True');
  if (orphans.length > 0 && o.removeOrphans !== true && args.length === 0) {
    ctx.stderr.write(`WARN[0000] Found orphan containers ([${orphans.map((c) => (c.Names[0] ?? '').replace(/^\//, '')).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.\n`);
  }
  await s.engine.removeContainers(targets, { volumes: o.volumes === true });
  if (args.length > 0) return 0;
  // networks: those the project declares (not external) and those labelled with the project
  const nets = new Map<string, string>();
  for (const n of Object.values(p.networks)) if (!n.external) nets.set(n.name, n.name);
  for (const n of await s.client.networks.list({ filters: projectFilter(p.name) })) nets.set(n.Name, n.Name);
  await Promise.all([...nets.keys()].map(async (name) => {
    const info = await s.client.networks.inspect(name).catch(gone);
    if (!info) return;
    if (info.Labels?.[L.project] !== undefined && info.Labels[L.project] !== p.name) return;
    s.progress('Network', name, 'Removing');
    await s.client.networks.remove(name).catch(gone);
    s.progress('Network', name, 'Removed');
  }));
  if (o.volumes === true) {
    const vols = new Set<string>();
    for (const v of Object.values(p.volumes)) if (!v.external) vols.add(v.name);
    for (const v of (await s.client.volumes.list({ filters: projectFilter(p.name) })).Volumes) vols.add(v.Name);
    await Promise.all([...vols].map(async (name) => {
      const info = await s.client.volumes.inspect(name).catch(gone);
      if (!info) return;
      if (info.Labels?.[L.project] !== undefined && info.Labels[L.project] !== p.name) return;
      s.progress('Volume', name, 'Removing');
      await s.client.volumes.remove(name).catch(gone);
      s.progress('Volume', name, 'Removed');
    }));
  }
  if (o.rmi !== undefined) {
    const images = new Set<string>();
    for (const svc of Object.values(p.services)) if (o.rmi === 'all' || !svc.image) images.add(imageOf(p, svc));
    for (const img of images) {
      s.progress('Image', img, 'Removing');
      await s.client.images.remove(img).then(() => s.progress('Image', img, 'Removed'), gone);
    }
  }
  return 0;
}
