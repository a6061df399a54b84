/** `run` and `create`, with docker/cli's ordering: create, attach, wait, start, then the exit status. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BerthClient } from '../../client/client.js';
import { DaemonError, describeError } from '../../client/errors.js';
import { clientOf, write, type Ctx } from '../context.js';
import { CliError } from '../program.js';
import { buildCreateRequest, normalizeImageRef, type CreateRequest, type RunFlags } from '../opts/run.js';
import { monitorTtySize, proxySignals, pumpStreams, rawMode } from './attachio.js';


/** docker's reportError for run/create: "berth: <msg>\n\nRun 'berth run --help' ..." and status. */
function runError(cmd: 'run' | 'create', status: number, err: unknown): CliError {
  const msg = typeof err === 'string' ? err : describeError(err);
  return new CliError(status, `berth: ${msg}\n\nRun 'berth ${cmd} --help' for more information`);
}

/** docker/cli runStartContainerErr: 127 not found, 126 not executable, else 125. */
export function startErrorStatus(message: string): number {
  if (message.includes('executable file not found') || message.includes('no such file or directory') || message.includes('system cannot find the file specified')) return 127;
  if (message.includes('permission denied') || message.includes('is a directory')) return 126;
  return 125;
}

function prepare(ctx: Ctx, cmd: 'run' | 'create', args: string[], flags: RunFlags): CreateRequest {
  const [image, ...rest] = args;
  let ttySize: [number, number] | undefined;
  if (ctx.stdout.isTTY) {
    const [w, h] = ctx.stdout.getWindowSize();
    ttySize = [h, w];
  }
  try {
    return buildCreateRequest(flags, image as string, rest, {
      lookupEnv: (n) => ctx.env[n],
      readFile: (p) => readFileSync(p, 'utf8'),
      cwd: process.cwd(),
      ttySize,
      run: cmd === 'run',
    });
  } catch (err) {
    throw runError(cmd, 125, (err as Error).message);
  }
}

async function createContainer(ctx: Ctx, client: BerthClient, cmd: 'run' | 'create', req: CreateRequest, cidfile?: string): Promise<string> {
  if (cidfile && existsSync(cidfile)) {
    throw runError(cmd, 125, `container ID file found, make sure the other container isn't running or delete ${cidfile}`);
  }
  try {
    const res = await client.containers.create(req.name, req.body, req.platform);
    for (const w of res.Warnings ?? []) await write(ctx.stderr, `WARNING: ${w}\n`);
    if (cidfile) writeFileSync(cidfile, res.Id);
    return res.Id;
  } catch (err) {
    if (err instanceof DaemonError && err.kind === 'NotFound' && /^No such image/i.test(err.message)) {
      await write(ctx.stderr, `Unable to find image '${normalizeImageRef(req.body.Image ?? '')}' locally\n`);
    }
    throw runError(cmd, 125, err);
  }
}

export async function create(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const flags = opts as RunFlags;
  const req = prepare(ctx, 'create', args, flags);
  const client = await clientOf(ctx);
  const id = await createContainer(ctx, client, 'create', req, flags.cidfile);
  await write(ctx.stdout, `${id}\n`);
  return 0;
}

export async function run(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const flags = opts as RunFlags;
  const req = prepare(ctx, 'run', args, flags);
  const body = req.body;
  if (body.Tty && flags.interactive && !ctx.stdin.isTTY) {
    throw new CliError(1, 'the input device is not a TTY');
  }
  const client = await clientOf(ctx);
  const id = await createContainer(ctx, client, 'run', req, flags.cidfile);
  const c = client.containers;

  if (flags.detach) {
    try {
      await c.start(id);
    } catch (err) {
      throw runError('run', startErrorStatus(describeError(err)), err);
    }
    await write(ctx.stdout, `${id}\n`);
    return 0;
  }

  const tty = body.Tty === true;
  const attachStdin = body.AttachStdin === true;
  const attaching = attachStdin || body.AttachStdout === true || body.AttachStderr === true;
  const autoRemove = body.HostConfig?.AutoRemove === true;

  let stream: Awaited<ReturnType<typeof c.attach>> | undefined;
  if (attaching) {
    try {
      stream = await c.attach(id, { stdin: attachStdin, stdout: body.AttachStdout, stderr: body.AttachStderr, detachKeys: flags.detachKeys });
    } catch (err) {
      throw runError('run', 125, err);
    }
  }
  const wait = await c.beginWait(id, autoRemove ? 'removed' : 'next-exit').catch((err: unknown) => {
    stream?.socket.destroy();
    throw runError('run', 125, err);
  });

  const restore = tty && attachStdin ? rawMode(ctx) : () => undefined;
  let pump: Promise<{ detached: boolean }> | undefined;
  if (stream) pump = pumpStreams(ctx, { socket: stream.socket, tty, stdin: attachStdin, detachKeys: flags.detachKeys });

  try {
    await c.start(id);
  } catch (err) {
    restore();
    stream?.socket.destroy();
    await pump?.catch(() => undefined);
    const e = runError('run', startErrorStatus(describeError(err)), err);
    // the daemon removes an auto-remove container whose start failed, as Docker's does
    if (autoRemove) await wait.result.catch(() => undefined);
    throw e;
  }

  const stopResize = tty ? monitorTtySize(ctx, (h, w) => c.resize(id, h, w)) : () => undefined;
  const stopSignals = !tty && flags.sigProxy !== false ? proxySignals((s) => c.kill(id, s)) : () => undefined;
  try {
    if (pump) {
      const { detached } = await pump;
      if (detached) return 0;
    }
    const status = await wait.result;
    if (status.Error?.Message) await write(ctx.stderr, `berth: ${status.Error.Message}\n`);
    return status.StatusCode;
  } catch (err) {
    throw new CliError(125, `berth: ${describeError(err)}`);
  } finally {
    stopResize();
    stopSignals();
    restore();
  }
}
