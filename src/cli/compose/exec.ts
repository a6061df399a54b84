/** `compose exec`: a command in a service's running container (--index), its exit code passed through. */
import type { Ctx } from '../context.js';
import { ComposeError } from '../../compose/errors.js';
import { L } from '../../compose/labels.js';
import { openSession, type GlobalOpts } from './session.js';

export async function exec(ctx: Ctx, args: string[], o: Record<string, unknown>, g: GlobalOpts): Promise<number> {
  const [service, ...cmd] = args as [string, ...string[]];
  const s = await openSession(ctx, g, [service]);
  const index = String(o.index ?? '1');
  const list = (await s.engine.containers(false)).filter((c) => c.Labels[L.service] === service && c.Labels[L.oneoff] !== 'True');
  const c = list.find((x) => x.Labels[L.number] === index);
  if (!c) throw new ComposeError(list.length === 0 ? `service "${service}" is not running` : `service "${service}" is not running container #${index}`);
  const { exec: dockerExec } = await import('../commands/streams.js');
  const tty = o.TTY !== false && ctx.stdin.isTTY === true && ctx.stdout.isTTY === true;
  return (await dockerExec(ctx, [c.Id, ...cmd], {
    tty, interactive: o.interactive !== false && o.detach !== true, detach: o.detach === true, env: o.env, workdir: o.workdir, user: o.user, privileged: o.privileged === true,
  })) ?? 0;
}
