/** What every command gets: the global flags, the streams, and a lazily built client. */
import type { BerthClient } from '../client/client.js';

export interface Ctx {
  /** the -H flag, if given */
  hostFlag?: string;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

let cached: BerthClient | undefined;

export async function clientOf(ctx: Ctx): Promise<BerthClient> {
  if (!cached) {
    const { BerthClient } = await import('../client/client.js');
    const { resolveHost } = await import('../client/host.js');
    cached = new BerthClient({ host: resolveHost(ctx.hostFlag, ctx.env) });
  }
  return cached;
}

/** Writes and resolves once the data is handed to the OS (or buffered, for pipes). */
export function write(out: NodeJS.WritableStream, s: string): Promise<void> {
  return new Promise((resolve) => {
    if (s === '') resolve();
    else out.write(s, () => resolve());
  });
}

/** Handler of a command: operands and options in, exit status out. */
export type Handler = (ctx: Ctx, args: string[], opts: Record<string, unknown>) => Promise<number | void>;
