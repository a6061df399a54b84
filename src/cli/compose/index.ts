/** `berth compose <command>`: dispatch to the command's module, and one place that turns errors into messages. */
import type { Ctx } from '../context.js';
import { ComposeError } from '../../compose/errors.js';
import type { GlobalOpts } from './session.js';

export type ComposeHandler = (ctx: Ctx, args: string[], opts: Record<string, unknown>, global: GlobalOpts) => Promise<number>;

const commands: Record<string, () => Promise<ComposeHandler>> = {
  up: async () => (await import('./up.js')).up,
  create: async () => (await import('./up.js')).create,
  down: async () => (await import('./down.js')).down,
  ps: async () => (await import('./ps.js')).ps,
  logs: async () => (await import('./logs.js')).logs,
  exec: async () => (await import('./exec.js')).exec,
  run: async () => (await import('./run.js')).run,
  config: async () => (await import('./config.js')).config,
  build: async () => (await import('./images.js')).build,
  pull: async () => (await import('./images.js')).pull,
  push: async () => (await import('./images.js')).push,
  images: async () => (await import('./images.js')).images,
  start: async () => (await import('./lifecycle.js')).start,
  stop: async () => (await import('./lifecycle.js')).stop,
  restart: async () => (await import('./lifecycle.js')).restart,
  rm: async () => (await import('./lifecycle.js')).rm,
  kill: async () => (await import('./lifecycle.js')).kill,
  pause: async () => (await import('./lifecycle.js')).pause,
  unpause: async () => (await import('./lifecycle.js')).unpause,
  wait: async () => (await import('./lifecycle.js')).wait,
  top: async () => (await import('./info.js')).top,
  port: async () => (await import('./info.js')).port,
  events: async () => (await import('./info.js')).events,
  cp: async () => (await import('./info.js')).cp,
  ls: async () => (await import('./info.js')).ls,
  version: async () => (await import('./info.js')).version,
  'install-plugin': async () => (await import('./plugin.js')).installPlugin,
};

export async function runCompose(name: string, ctx: Ctx, args: string[], opts: Record<string, unknown>, global: Record<string, unknown>): Promise<number> {
  const load = commands[name];
  if (!load) {
    ctx.stderr.write(`unknown compose command: ${name}\n`);
    return 1;
  }
  try {
    return await (await load())(ctx, args, opts, global as GlobalOpts);
  } catch (err) {
    if (err instanceof ComposeError) {
      ctx.stderr.write(`${err.message}\n`);
      return err.status;
    }
    throw err;
  }
}
