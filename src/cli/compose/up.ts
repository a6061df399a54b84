/**
 * `compose up` and `compose create`: check what must exist (external networks and volumes, images)
 * before anything is made, plan against what the daemon has, remove orphans if asked, create networks
 * and volumes, converge the containers in dependency order; then wait (--wait), or attach to the logs
 * until the containers exit (Ctrl-C stops them), or return (-d).
 */
import type { Ctx } from '../context.js';
import { ComposeError } from '../../compose/errors.js';
import { L } from '../../compose/labels.js';
import { planUp, withDependencies } from '../../compose/planner.js';
import { LogPrinter, printLogs, sourceLabel } from './logprinter.js';
import { openSession, type GlobalOpts, type Session } from './session.js';

function parseScale(list: string[] | undefined, s: Session): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of list ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(e);
    if (!m) throw new ComposeError(`invalid --scale value "${e}": expected SERVICE=NUM`);
    if (!(m[1]! in s.project.services)) throw new ComposeError(`no such service: ${m[1]}`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

const secondsOpt = (v: unknown): number | undefined => (v === undefined ? undefined : Number(v));

/** Converges the project; returns the session and the services acted on. */
async function converge(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts, noStart: boolean): Promise<{ s: Session; selected: string[] }> {
  const s = await openSession(ctx, g, args);
  if (o.timeout !== undefined) s.engine.opts.timeout = secondsOpt(o.timeout);
  const scale = parseScale(o.scale as string[] | undefined, s);
  const noDeps = o.deps === false;
  const selected = withDependencies(s.project, args, noDeps);
  // what is there already, asked all at once: external resources (a missing one stops everything before
  // anything is made), the project's containers, its networks and volumes
  const pull = o.pull === 'policy' || o.pull === undefined ? undefined : String(o.pull);
  const externals = s.engine.checkExternals(selected);
  const lookups = Promise.all([s.engine.containers(true), s.engine.missingResources(selected)]);
  // images are looked up at the same time, but nothing is pulled or built before the externals were found
  const images = externals.then(() => s.engine.ensureImages(selected, { build: o.build === true, noBuild: o.build === false, pull }));
  const [[containers, missing], imageIds] = await Promise.all([lookups, images, externals]);
  const plan = planUp(s.project, containers, { services: args, noDeps, forceRecreate: o.forceRecreate === true, noRecreate: o.recreate === false, scale, imageIds });
  if (plan.orphans.length > 0) {
    if (o.removeOrphans === true) await s.engine.removeContainers(plan.orphans);
    else {
      const names = plan.orphans.map((c) => (c.Names[0] ?? '').replace(/^\//, '')).join(' ');
      ctx.stderr.write(`WARN[0000] Found orphan containers ([${names}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.\n`);
    }
  }
  await s.engine.ensureResources(selected, missing);
  await s.engine.apply(plan, imageIds, { noStart });
  return { s, selected };
}

export async function create(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  await converge(ctx, args, o, g, true);
  return 0;
}

/** Waits until every container of the services runs (and is healthy when it has a healthcheck). */
export async function waitReady(s: Session, services: string[], timeoutSec: number | undefined): Promise<void> {
  const deadline = timeoutSec === undefined ? Infinity : Date.now() + timeoutSec * 1000;
  const list = (await s.engine.containers(true)).filter((c) => services.includes(c.Labels[L.service] ?? '') && c.Labels[L.oneoff] !== 'True');
  await Promise.all(list.map(async (c) => {
    const name = (c.Names[0] ?? '').replace(/^\//, '');
    const svc = s.project.services[c.Labels[L.service] ?? ''];
    for (;;) {
      const info = await s.client.containers.inspect(c.Id);
      const h = info.State.Health;
      if (!info.State.Running) {
        // a one-shot job that completed is fine when something waits for its completion
        const completionWanted = Object.values(s.project.services).some((x) => x.depends_on?.[svc?.name ?? '']?.condition === 'service_completed_successfully');
        if (completionWanted && info.State.ExitCode === 0) return;
        throw new ComposeError(`container ${name} exited (${info.State.ExitCode})`);
      }
      if (!h || h.Status === 'healthy') break;
      if (h.Status === 'unhealthy') throw new ComposeError(`container ${name} is unhealthy`);
      if (Date.now() > deadline) throw new ComposeError(`container ${name}: timeout waiting for it to be healthy`);
      await new Promise((r) => setTimeout(r, 100));
    }
    s.progress('Container', name, 'Healthy');
  }));
}

export async function up(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  if (o.abortOnContainerExit && o.detach) throw new ComposeError('--abort-on-container-exit and --detach are incompatible');
  if (o.exitCodeFrom !== undefined) o.abortOnContainerExit = true;
  const { s, selected } = await converge(ctx, args, o, g, o.start === false);
  if (o.start === false) return 0;
  if (o.wait === true) {
    try {
      await waitReady(s, selected, secondsOpt(o.waitTimeout));
    } catch (err) {
      if (err instanceof ComposeError) throw err;
      throw new ComposeError((err as Error).message);
    }
    return 0;
  }
  if (o.detach === true) return 0;
  return attach(s, selected, o);
}

/** Streams the logs of the services until their containers exit, or Ctrl-C (which stops them). */
async function attach(s: Session, selected: string[], o: Record<string, unknown>): Promise<number> {
  const ctx = s.ctx;
  const attachOnly = o.attach as string[] | undefined;
  const noAttach = new Set((o.noAttach as string[] | undefined) ?? []);
  const wanted = (svc: string) => (attachOnly ? attachOnly.includes(svc) : selected.includes(svc)) && !noAttach.has(svc);
  const list = (await s.engine.containers(true)).filter((c) => selected.includes(c.Labels[L.service] ?? '') && c.Labels[L.oneoff] !== 'True');
  const printer = new LogPrinter(ctx.stdout, { color: o.color !== false && ctx.stdout.isTTY === true, prefix: o.logPrefix !== false, timestamps: false });
  const ac = new AbortController();
  const shown = list.filter((c) => wanted(c.Labels[L.service] ?? ''));
  const logsDone = printLogs(s.client, shown.map((c) => ({ id: c.Id, label: sourceLabel(c, s.project.name) })), printer, { follow: true }, ac.signal);
  let exitCode = 0;
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    ctx.stderr.write('Gracefully stopping... (press Ctrl+C again to force)\n');
    await s.engine.removeContainers(list, { stop: false });
  };
  const onInt = () => {
    if (stopping) process.exit(130);
    stopAll().catch(() => undefined);
  };
  process.on('SIGINT', onInt);
  try {
    await Promise.all(list.map(async (c) => {
      const r = await s.client.containers.wait(c.Id, 'not-running').catch(() => ({ StatusCode: 0 }));
      const svc = c.Labels[L.service] ?? '';
      if (wanted(svc)) printer.line(sourceLabel(c, s.project.name), `exited with code ${r.StatusCode}`);
      if (o.exitCodeFrom !== undefined ? svc === o.exitCodeFrom : o.abortOnContainerExit === true && !stopping) exitCode = exitCode || r.StatusCode;
      if (o.abortOnContainerExit === true && !stopping) await stopAll();
    }));
  } finally {
    process.off('SIGINT', onInt);
    ac.abort();
    await logsDone.catch(() => undefined);
  }
  return exitCode;
}
