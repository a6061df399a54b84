/** Handlers of `berth registry serve|gc` (src/registry/server does the work). */
import type { Ctx } from '../context.js';
import { CliError } from '../program.js';

export async function serve(_ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const { serveCommand } = await import('../../registry/server/cli.js');
  await serveCommand({
    addr: opts.addr as string, root: opts.root as string, htpasswd: opts.htpasswd as string | undefined,
    tlsCert: opts.tlsCert as string | undefined, tlsKey: opts.tlsKey as string | undefined,
  });
  return 0;
}

export async function gc(_ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const grace = Number(opts.gracePeriod);
  if (!Number.isFinite(grace) || grace < 0) throw new CliError(125, `invalid argument "${String(opts.gracePeriod)}" for "--grace-period" flag`);
  const { gcCommand } = await import('../../registry/server/cli.js');
  await gcCommand({ root: opts.root as string, dryRun: opts.dryRun === true, gracePeriodMs: grace * 1000 });
  return 0;
}
