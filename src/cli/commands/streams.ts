/** logs, exec and attach: the commands that stream a container's I/O. */
import { readFileSync } from 'node:fs';
import type { ExecCreateBody } from '../../api/types.js';
import { describeError } from '../../client/errors.js';
import { SYSTEMERR, STDERR, writeAll } from '../../client/stream.js';
import { clientOf, type Ctx } from '../context.js';
import { expandEnv, parseEnvFileText } from '../opts/kv.js';
import { timeRange } from '../opts/time.js';
import { CliError } from '../program.js';
import { monitorTtySize, proxySignals, pumpStreams, rawMode } from './attachio.js';

export async function logs(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const c = (await clientOf(ctx)).containers;
  const id = args[0] as string;
  const info = await c.inspect(id);
  const { since, until } = timeRange(opts);
  const stream = await c.logs(id, {
    follow: opts.follow === true,
    timestamps: opts.timestamps === true,
    details: opts.details === true,
    tail: (opts.tail as string | undefined) ?? 'all',
    since,
    until,
    tty: info.Config.Tty === true,
  });
  for await (const f of stream.frames()) {
    if (f.stream === SYSTEMERR) throw new CliError(1, f.payload.toString().trimEnd());
    await writeAll(f.stream === STDERR ? ctx.stderr : ctx.stdout, f.payload);
  }
  return 0;
}

export async function exec(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const [container, ...cmd] = args as [string, ...string[]];
  const client = await clientOf(ctx);
  const tty = opts.tty === true;
  const interactive = opts.interactive === true;
  const detach = opts.detach === true;
  if (tty && interactive && !ctx.stdin.isTTY) throw new CliError(1, 'the input device is not a TTY');
  const env: string[] = [];
  const lookup = (n: string) => ctx.env[n];
  for (const f of (opts.envFile as string[] | undefined) ?? []) env.push(...parseEnvFileText(readFileSync(f, 'utf8'), f, lookup));
  for (const e of (opts.env as string[] | undefined) ?? []) env.push(expandEnv(e, lookup));
  let consoleSize: [number, number] | undefined;
  if (tty && ctx.stdout.isTTY) {
    const [w, h] = ctx.stdout.getWindowSize();
    consoleSize = [h, w];
  }
  const body: ExecCreateBody = {
    User: (opts.user as string | undefined) ?? '',
    Privileged: opts.privileged === true,
    Tty: tty,
    AttachStdin: interactive && !detach,
    AttachStdout: !detach,
    AttachStderr: !detach,
    DetachKeys: (opts.detachKeys as string | undefined) ?? '',
    Env: env.length > 0 ? env : null,
    WorkingDir: (opts.workdir as string | undefined) ?? '',
    Cmd: cmd,
    ConsoleSize: consoleSize ?? [0, 0],
  };
  const { Id: execId } = await client.exec.create(container, body);
  if (detach) {
    await client.exec.startDetached(execId, { tty, consoleSize });
    return 0;
  }
  const stream = await client.exec.start(execId, { tty, consoleSize });
  const restore = tty && interactive ? rawMode(ctx) : () => undefined;
  const stopResize = tty ? monitorTtySize(ctx, (h, w) => client.exec.resize(execId, h, w)) : () => undefined;
  try {
    const { detached } = await pumpStreams(ctx, { socket: stream.socket, tty, stdin: interactive, detachKeys: opts.detachKeys as string | undefined });
    if (detached) return 0;
  } finally {
    stopResize();
    restore();
  }
  const info = await client.exec.inspect(execId);
  return info.ExitCode ?? 0;
}

export async function attach(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const id = args[0] as string;
  const c = (await clientOf(ctx)).containers;
  const info = await c.inspect(id);
  if (!info.State.Running) throw new CliError(1, 'You cannot attach to a stopped container, start it first');
  if (info.State.Paused) throw new CliError(1, 'You cannot attach to a paused container, unpause it first');
  if (info.State.Restarting) throw new CliError(1, 'You cannot attach to a restarting container, wait until it is running');
  const tty = info.Config.Tty === true;
  const stdin = opts.stdin !== false && info.Config.OpenStdin === true;
  if (tty && stdin && !ctx.stdin.isTTY) throw new CliError(1, 'the input device is not a TTY');
  const detachKeys = opts.detachKeys as string | undefined;
  const wait = await c.beginWait(id);
  const stream = await c.attach(id, { stdin, stdout: true, stderr: true, detachKeys });
  const restore = tty && stdin ? rawMode(ctx) : () => undefined;
  const stopResize = tty ? monitorTtySize(ctx, (h, w) => c.resize(id, h, w)) : () => undefined;
  const stopSignals = !tty && opts.sigProxy !== false ? proxySignals((s) => c.kill(id, s)) : () => undefined;
  try {
    const { detached } = await pumpStreams(ctx, { socket: stream.socket, tty, stdin, detachKeys });
    if (detached) return 0;
    const status = await wait.result;
    return status.StatusCode;
  } catch (err) {
    throw new CliError(1, describeError(err));
  } finally {
    stopResize();
    stopSignals();
    restore();
  }
}
