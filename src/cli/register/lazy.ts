/** Binds a command to a handler module loaded only when the command runs (keeps `berth` start-up small). */
import type { Command } from 'commander';
import type { Ctx, Handler } from '../context.js';
import { checkArgs } from '../program.js';

export interface Registry {
  ctx: () => Ctx;
  /** exit status of the command that ran */
  status: number;
}

export interface ArgSpec {
  min: number;
  max?: number;
}

export function lazy(reg: Registry, args: ArgSpec, load: () => Promise<Handler>, extra: Record<string, unknown> = {}) {
  return async function (this: Command): Promise<void> {
    const cmd = this;
    checkArgs(cmd, cmd.args, args.min, args.max);
    const handler = await load();
    const status = await handler(reg.ctx(), [...cmd.args], { ...cmd.opts(), ...extra });
    reg.status = typeof status === 'number' ? status : 0;
  };
}
