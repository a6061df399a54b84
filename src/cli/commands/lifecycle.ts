/** start, stop, restart, kill, pause, unpause, rm, wait, rename, top, container prune. */
import { describeError } from '../../client/errors.js';
import { clientOf, write, type Ctx } from '../context.js';
import { CliError } from '../program.js';
import { tabwrite } from '../format/table.js';
import { pumpStreams, rawMode, monitorTtySize, proxySignals } from './attachio.js';

/** Runs `fn` for each container, printing the name on success and collecting docker-style errors. */
async function forEach(ctx: Ctx, names: string[], fn: (name: string) => Promise<string | void>): Promise<number> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      const out = await fn(name);
      await write(ctx.stdout, `${out ?? name}\n`);
    } catch (err) {
      errors.push(describeError(err));
    }
  }
  if (errors.length > 0) throw new CliError(1, errors.join('\n'));
  return 0;
}

function intOpt(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^-?\d+$/.test(s)) throw new CliError(125, `invalid argument "${s}" for "${flag}" flag: strconv.ParseInt: parsing "${s}": invalid syntax`);
  return Number.parseInt(s, 10);
}

export async function start(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const client = await clientOf(ctx);
  const c = client.containers;
  if (!opts.attach && !opts.interactive) return forEach(ctx, args, (n) => c.start(n, opts.detachKeys as string | undefined));
  if (args.length > 1) throw new CliError(1, 'you cannot start and attach multiple containers at once');
  const id = args[0] as string;
  const info = await c.inspect(id);
  const tty = info.Config.Tty === true;
  const stdin = opts.interactive === true && info.Config.OpenStdin === true;
  const stream = await c.attach(id, { stdin, stdout: true, stderr: true, detachKeys: opts.detachKeys as string | undefined });
  const restore = tty && stdin ? rawMode(ctx) : () => undefined;
  const pump = pumpStreams(ctx, { socket: stream.socket, tty, stdin, detachKeys: opts.detachKeys as string | undefined });
  const wait = await c.beginWait(id, 'next-exit');
  try {
    await c.start(id, opts.detachKeys as string | undefined);
  } catch (err) {
    restore();
    stream.socket.destroy();
    await pump.catch(() => undefined);
    throw err;
  }
  const stopResize = tty ? monitorTtySize(ctx, (h, w) => c.resize(id, h, w)) : () => undefined;
  const stopSignals = !tty ? proxySignals((s) => c.kill(id, s)) : () => undefined;
  try {
    const { detached } = await pump;
    if (detached) return 0;
    return (await wait.result).StatusCode;
  } finally {
    stopResize();
    stopSignals();
    restore();
  }
}

export async function stop(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const c = (await clientOf(ctx)).containers;
  const t = intOpt(opts.time ?? opts.t, '-t, --time');
  return forEach(ctx, args, (n) => c.stop(n, { t, signal: opts.signal as string | undefined }));
}

export async function restart(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const c = (await clientOf(ctx)).containers;
  const t = intOpt(opts.time ?? opts.t, '-t, --time');
  return forEach(ctx, args, (n) => c.restart(n, { t, signal: opts.signal as string | undefined }));
}

export async function kill(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const c = (await clientOf(ctx)).containers;
  return forEach(ctx, args, (n) => c.kill(n, opts.signal as string | undefined));
}

export async function pause(ctx: Ctx, args: string[]): Promise<number> {
  const c = (await clientOf(ctx)).containers;
  return forEach(ctx, args, (n) => c.pause(n));
}

export async function unpause(ctx: Ctx, args: string[]): Promise<number> {
  const c = (await clientOf(ctx)).containers;
  return forEach(ctx, args, (n) => c.unpause(n));
}

export async function rm(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const c = (await clientOf(ctx)).containers;
  return forEach(ctx, args, (n) => c.remove(n.replace(/^\//, ''), { force: opts.force === true, v: opts.volumes === true, link: opts.link === true }));
}

export async function wait(ctx: Ctx, args: string[]): Promise<number> {
  const c = (await clientOf(ctx)).containers;
  return forEach(ctx, args, async (n) => String((await c.wait(n)).StatusCode));
}

export async function rename(ctx: Ctx, args: string[]): Promise<number> {
  const [oldName, newName] = args as [string, string];
  if (newName.trim() === '' || oldName.trim() === '') throw new CliError(1, 'Error: neither old nor new names may be empty');
  const c = (await clientOf(ctx)).containers;
  try {
    await c.rename(oldName, newName);
  } catch (err) {
    throw new CliError(1, `${describeError(err)}\nError: failed to rename container named ${oldName}`);
  }
  return 0;
}

export async function top(ctx: Ctx, args: string[]): Promise<number> {
  const [id, ...psArgs] = args as [string, ...string[]];
  const c = (await clientOf(ctx)).containers;
  const res = await c.top(id, psArgs.join(' '));
  const lines = [res.Titles.join('\t'), ...res.Processes.map((p) => p.join('\t'))].join('\n') + '\n';
  await write(ctx.stdout, tabwrite(lines, 20, 3));
  return 0;
}

/** Reads y/N from stdin, as docker's command.PromptForConfirmation. */
export async function confirm(ctx: Ctx, message: string): Promise<boolean> {
  await write(ctx.stdout, `${message}\nAre you sure you want to continue? [y/N] `);
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) done();
    };
    const done = () => {
      ctx.stdin.off('data', onData);
      ctx.stdin.off('end', done);
      ctx.stdin.pause();
      resolve(buf.split('\n')[0] ?? '');
    };
    ctx.stdin.on('data', onData);
    ctx.stdin.once('end', done);
    ctx.stdin.resume();
  });
  const a = line.trim().toLowerCase();
  return a === 'y' || a === 'yes';
}
