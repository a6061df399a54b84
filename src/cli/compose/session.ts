/**
 * What every compose command starts from: the project loaded from the global flags (-f, -p,
 * --project-directory, --env-file, --profile), the API client for the daemon, an engine with the
 * parallel limit, and progress lines on stderr.
 */
import type { BerthClient } from '../../client/client.js';
import type { Ctx } from '../context.js';
import { ComposeError } from '../../compose/errors.js';
import { Engine, type Progress } from '../../compose/engine.js';
import { loadProjectAsync } from '../../compose/loader.js';
import type { Project } from '../../compose/model.js';

export interface GlobalOpts {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile?: string[];
  profile?: string[];
  parallel?: string;
  ansi?: string;
  progress?: string;
}

export interface Session {
  ctx: Ctx;
  global: GlobalOpts;
  project: Project;
  client: BerthClient;
  engine: Engine;
  progress: Progress;
}

/** The daemon: -H, BERTH_HOST, DOCKER_HOST; as a docker CLI plugin the docker CLI's default socket. */
export async function clientFor(ctx: Ctx): Promise<BerthClient> {
  const { BerthClient } = await import('../../client/client.js');
  const { resolveHost } = await import('../../client/host.js');
  const plugin = ctx.env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND !== undefined || ctx.env.BERTH_COMPOSE_PLUGIN === '1';
  const host = plugin && !ctx.hostFlag && !ctx.env.DOCKER_HOST ? 'unix:///var/run/docker.sock' : resolveHost(ctx.hostFlag, ctx.env);
  return new BerthClient({ host });
}

export function parallelOf(g: GlobalOpts, env: NodeJS.ProcessEnv): number {
  const v = Number(g.parallel !== undefined && g.parallel !== '-1' ? g.parallel : env.COMPOSE_PARALLEL_LIMIT ?? '-1');
  if (!Number.isInteger(v)) throw new ComposeError(`invalid parallel limit: ${g.parallel ?? env.COMPOSE_PARALLEL_LIMIT}`);
  return v <= 0 ? 64 : v;
}

export function progressWriter(ctx: Ctx, g: GlobalOpts): Progress {
  const mode = g.progress ?? ctx.env.COMPOSE_PROGRESS ?? 'auto';
  if (mode === 'quiet') return () => undefined;
  return (kind, name, status) => {
    ctx.stderr.write(` ${kind} ${name}  ${status}\n`);
  };
}

export function loadFor(ctx: Ctx, g: GlobalOpts, services: string[] = [], o: { interpolate?: boolean } = {}): Promise<Project> {
  return loadProjectAsync({
    interpolate: o.interpolate,
    files: g.file,
    projectDirectory: g.projectDirectory,
    projectName: g.projectName,
    envFiles: g.envFile,
    profiles: g.profile,
    services,
    cwd: process.cwd(),
    env: ctx.env,
  });
}

export async function openSession(ctx: Ctx, g: GlobalOpts, services: string[] = []): Promise<Session> {
  const project = await loadFor(ctx, g, services);
  const unknown = services.filter((s) => !(s in project.services) && !(s in project.disabled));
  if (unknown.length > 0) throw new ComposeError(`no such service: ${unknown[0]}`);
  const client = await clientFor(ctx);
  const progress = progressWriter(ctx, g);
  const engine = new Engine(client, project, { parallel: parallelOf(g, ctx.env), progress });
  return { ctx, global: g, project, client, engine, progress };
}
