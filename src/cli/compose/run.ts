/**
 * `compose run`: a one-off container of a service (labels oneoff=True, name `<project>-<service>-run-<id>`),
 * its dependencies brought up first unless --no-deps; attached (exit code passed through) or -d.
 */
import type { Ctx } from '../context.js';
import { write } from '../context.js';
import { monitorTtySize, pumpStreams, rawMode } from '../commands/attachio.js';
import type { ContainerCreateBody } from '../../api/types.js';
import { ComposeError } from '../../compose/errors.js';
import { randomSuffix } from '../../compose/engine.js';
import { serviceHash } from '../../compose/hash.js';
import { oneoffName } from '../../compose/labels.js';
import { parsePortSpec, parseVolumeSpec } from '../../compose/normalize.js';
import { planUp, withDependencies } from '../../compose/planner.js';
import { shellSplit } from '../../compose/shellwords.js';
import { resolveHostPath } from '../../compose/paths.js';
import { openSession, type GlobalOpts } from './session.js';

export async function run(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const [service, ...cmd] = args as [string, ...string[]];
  const s = await openSession(ctx, g, [service]);
  const svc = s.project.services[service];
  if (!svc) throw new ComposeError(`no such service: ${service}`);
  const deps = o.deps === false ? [] : withDependencies(s.project, [service]).filter((n) => n !== service);
  const needed = [service, ...deps];
  await s.engine.checkExternals(needed);
  const imageIds = await s.engine.ensureImages(needed, { build: o.build === true });
  await s.engine.ensureResources(needed);
  if (deps.length > 0) {
    const plan = planUp(s.project, await s.engine.containers(true), { services: deps, noRecreate: false, imageIds });
    await s.engine.apply(plan, imageIds);
    await Promise.all(deps.filter((d) => svc.depends_on?.[d]).map((d) => s.engine.waitCondition(svc, d)));
  }
  // the service as the one-off sees it: flags override the model
  const one = { ...svc };
  if (cmd.length > 0) one.command = cmd;
  if (o.entrypoint !== undefined) one.entrypoint = shellSplit(String(o.entrypoint));
  const env: Record<string, string | null> = { ...(svc.environment ?? {}) };
  for (const e of (o.env as string[] | undefined) ?? []) {
    const i = e.indexOf('=');
    if (i < 0) env[e] = ctx.env[e] ?? null;
    else env[e.slice(0, i)] = e.slice(i + 1);
  }
  one.environment = env;
  if (o.workdir !== undefined) one.working_dir = o.workdir;
  if (o.user !== undefined) one.user = o.user;
  const extraVolumes = ((o.volume as string[] | undefined) ?? []).map((v) => {
    const parts = v.split(':');
    if (parts.length >= 2 && /^[.~]/.test(parts[0]!)) parts[0] = resolveHostPath(parts[0]!, process.cwd());
    const m = parseVolumeSpec(parts.join(':'));
    return m;
  });
  if (extraVolumes.length > 0) one.volumes = [...(svc.volumes ?? []), ...extraVolumes];
  const published = ((o.publish as string[] | undefined) ?? []).flatMap((p) => parsePortSpec(p));
  const servicePorts = o.servicePorts === true;
  one.ports = [...(servicePorts ? svc.ports ?? [] : []), ...published];
  const labels: Record<string, string> = {};
  for (const l of (o.label as string[] | undefined) ?? []) {
    const i = l.indexOf('=');
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  one.labels = { ...(svc.labels ?? {}), ...labels };
  const tty = o.TTY !== false && ctx.stdin.isTTY === true && ctx.stdout.isTTY === true;
  const detach = o.detach === true;
  const interactive = !detach && o.interactive !== false;
  one.tty = tty;
  one.stdin_open = interactive;
  const name = (o.name as string | undefined) ?? oneoffName(s.project.name, service, randomSuffix());
  const body = (b: ContainerCreateBody): ContainerCreateBody => ({
    ...b, AttachStdin: interactive, AttachStdout: !detach, AttachStderr: !detach, StdinOnce: interactive,
    HostConfig: { ...b.HostConfig, AutoRemove: o.rm === true && detach ? true : b.HostConfig?.AutoRemove, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } },
  } as ContainerCreateBody);
  const id = await s.engine.createContainer({ ...one, container_name: undefined }, 1, serviceHash(one), imageIds[service] ?? '', { name, oneoff: true, body });
  const c = s.client.containers;
  if (detach) {
    await c.start(id);
    await write(ctx.stdout, `${name}\n`);
    return 0;
  }
  const stream = await c.attach(id, { stdin: interactive, stdout: true, stderr: true });
  const wait = await c.beginWait(id, 'next-exit');
  const restore = tty && interactive ? rawMode(ctx) : () => undefined;
  const pump = pumpStreams(ctx, { socket: stream.socket, tty, stdin: interactive });
  let stopResize = () => undefined as void;
  try {
    await c.start(id);
    stopResize = tty ? monitorTtySize(ctx, (h, w) => c.resize(id, h, w)) : () => undefined;
    const { detached } = await pump;
    if (detached) return 0;
    const status = await wait.result;
    return status.StatusCode;
  } finally {
    stopResize();
    restore();
    if (o.rm === true) await c.remove(id, { force: true, v: true }).catch(() => undefined);
  }
}
