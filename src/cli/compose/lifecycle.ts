/** `compose start|stop|restart|rm|kill|pause|unpause|wait`: the verbs on a project's existing containers. */
import type { ContainerSummary } from '../../api/types.js';
import type { Ctx } from '../context.js';
import { ComposeError } from '../../compose/errors.js';
import { L } from '../../compose/labels.js';
import { settleAll } from '../../compose/limiter.js';
import { dependencyLevels } from '../../compose/planner.js';
import { openSession, type GlobalOpts, type Session } from './session.js';
import { waitReady } from './up.js';

const nameOf = (c: ContainerSummary) => (c.Names[0] ?? '').replace(/^\//, '');

async function selected(s: Session, args: string[], all = true): Promise<ContainerSummary[]> {
  return (await s.engine.containers(all)).filter((c) => c.Labels[L.oneoff] !== 'True' && (args.length === 0 || args.includes(c.Labels[L.service] ?? '')));
}

/** Containers grouped by dependency level (services the project does not know go last). */
function byLevel(s: Session, list: ContainerSummary[]): ContainerSummary[][] {
  const services = [...new Set(list.map((c) => c.Labels[L.service] ?? ''))];
  const known = services.filter((x) => x in s.project.services);
  const levels = dependencyLevels(s.project, known).map((lv) => list.filter((c) => lv.includes(c.Labels[L.service] ?? '')));
  const rest = list.filter((c) => !known.includes(c.Labels[L.service] ?? ''));
  if (rest.length > 0) levels.push(rest);
  return levels;
}

async function each(s: Session, groups: ContainerSummary[][], fn: (c: ContainerSummary) => Promise<void>): Promise<void> {
  for (const g of groups) await settleAll(g.map((c) => s.engine.limit.run(() => fn(c))));
}

export async function start(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const list = await selected(s, args);
  if (list.length === 0) throw new ComposeError('service(s) not found or no containers to start: run `compose up` first');
  await each(s, byLevel(s, list), async (c) => {
    if (c.State === 'running') return;
    s.progress('Container', nameOf(c), 'Starting');
    await s.client.containers.start(c.Id);
    s.progress('Container', nameOf(c), 'Started');
  });
  if (o.wait === true) await waitReady(s, [...new Set(list.map((c) => c.Labels[L.service] ?? ''))], o.waitTimeout === undefined ? undefined : Number(o.waitTimeout));
  return 0;
}

export async function stop(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const list = (await selected(s, args)).filter((c) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting');
  await each(s, byLevel(s, list).reverse(), async (c) => {
    s.progress('Container', nameOf(c), 'Stopping');
    await s.client.containers.stop(c.Id, { t: o.timeout === undefined ? s.engine.stopTimeout(s.project.services[c.Labels[L.service] ?? '']) : Number(o.timeout) });
    s.progress('Container', nameOf(c), 'Stopped');
  });
  return 0;
}

export async function restart(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const list = await selected(s, args);
  await each(s, byLevel(s, list), async (c) => {
    s.progress('Container', nameOf(c), 'Restarting');
    await s.client.containers.restart(c.Id, { t: o.timeout === undefined ? undefined : Number(o.timeout) });
    s.progress('Container', nameOf(c), 'Started');
  });
  return 0;
}

export async function rm(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  let list = await selected(s, args);
  if (o.stop === true) await stop(ctx, args, {}, g);
  else list = list.filter((c) => c.State !== 'running' && c.State !== 'paused' && c.State !== 'restarting');
  if (o.stop === true) list = await selected(s, args);
  if (list.length === 0) {
    ctx.stderr.write('No stopped containers\n');
    return 0;
  }
  if (o.force !== true && !ctx.stdin.isTTY) {
    // without a terminal to ask on, docker compose removes only with -f
    ctx.stderr.write(`Going to remove ${list.map(nameOf).join(', ')}\n`);
  }
  await settleAll(list.map((c) => s.engine.limit.run(async () => {
    s.progress('Container', nameOf(c), 'Removing');
    await s.client.containers.remove(c.Id, { force: true, v: o.volumes === true });
    s.progress('Container', nameOf(c), 'Removed');
  })));
  return 0;
}

export async function kill(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const list = (await selected(s, args, false));
  await settleAll(list.map((c) => s.engine.limit.run(async () => {
    s.progress('Container', nameOf(c), 'Killing');
    await s.client.containers.kill(c.Id, String(o.signal ?? 'SIGKILL'));
    s.progress('Container', nameOf(c), 'Killed');
  })));
  return 0;
}

export async function pause(ctx: Ctx, args: string[], _o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  await settleAll((await selected(s, args, false)).map((c) => s.engine.limit.run(async () => {
    await s.client.containers.pause(c.Id);
    s.progress('Container', nameOf(c), 'Paused');
  })));
  return 0;
}

export async function unpause(ctx: Ctx, args: string[], _o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  await settleAll((await selected(s, args)).filter((c) => c.State === 'paused').map((c) => s.engine.limit.run(async () => {
    await s.client.containers.unpause(c.Id);
    s.progress('Container', nameOf(c), 'Unpaused');
  })));
  return 0;
}

export async function wait(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const s = await openSession(ctx, g, args);
  const list = await selected(s, args);
  if (list.length === 0) throw new ComposeError(`no containers for service(s) ${args.join(', ')}`);
  const codes = await Promise.race([
    Promise.all(list.map((c) => s.client.containers.wait(c.Id, 'not-running'))),
    ...(o.downProject === true ? list.map((c) => s.client.containers.wait(c.Id, 'not-running').then((r) => [r])) : []),
  ]);
  if (o.downProject === true) {
    const { down } = await import('./down.js');
    await down(ctx, [], {}, g);
  }
  return codes.find((r) => r.StatusCode !== 0)?.StatusCode ?? 0;
}
