/**
 * `berth build` (docker build's flags, the classic API) and `berth builder prune`. The context is a
 * directory (client/buildcontext.ts: a tar made as it is read, .dockerignore applied as the docker CLI
 * does, and against berthd only what changed since the copy it keeps), a tar or Dockerfile on stdin
 * (`-`), or a URL the daemon fetches.
 * Output: `plain` prints the stream as it comes; `tty` (the default on a terminal) draws one line per step
 * with its elapsed time, redrawn in place, and the output of the running step below it.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import * as tar from 'tar-stream';
import { jsonStream } from '../../client/stream.js';
import { postDirBuild, type DirContext } from '../../client/buildcontext.js';
import { ramInBytes } from '../../core/units.js';
import { clientOf, write, type Ctx } from '../context.js';
import { CliError } from '../program.js';
import { filtersOf } from './networks.js';
import { confirm } from './lifecycle.js';
import { printResults, pruneBuildCache } from './prune.js';
import { TtyProgress } from './buildtty.js';

interface BuildMessage {
  stream?: string;
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { message?: string; code?: number };
  status?: string;
  id?: string;
  progress?: string;
}

/** `KEY=value` (or `KEY`, taken from the environment as docker does; null when unset there). */
function buildArgs(list: string[] | undefined, env: NodeJS.ProcessEnv): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const a of list ?? []) {
    const eq = a.indexOf('=');
    if (eq === 0) throw new CliError(125, `invalid argument "${a}" for "--build-arg" flag: invalid key/value pair`);
    if (eq < 0) out[a] = env[a] ?? null;
    else out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

function labels(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list ?? []) {
    const eq = l.indexOf('=');
    out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return out;
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

const isArchive = (b: Buffer) => (b.length > 262 && b.subarray(257, 262).toString('latin1') === 'ustar') || (b[0] === 0x1f && b[1] === 0x8b)
  || b.subarray(0, 3).toString('latin1') === 'BZh' || (b[0] === 0xfd && b.subarray(1, 5).toString('latin1') === '7zXZ');

/** What `berth build` sends: a directory (client/buildcontext.ts), a tar or Dockerfile from stdin, or a URL. */
async function context(ctx: Ctx, arg: string, file: string | undefined): Promise<{ body?: Readable; dir?: DirContext; dockerfile?: string; remote?: string }> {
  if (/^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(arg)) return { remote: arg, dockerfile: file };
  if (arg === '-') {
    if (file === '-') throw new CliError(125, 'invalid argument: can\'t use stdin for both build context and dockerfile');
    const data = await readAll(ctx.stdin);
    if (isArchive(data)) return { body: Readable.from([data]), dockerfile: file };
    // a Dockerfile alone: a context of that one file
    const p = tar.pack();
    p.entry({ name: 'Dockerfile', mode: 0o644 }, data);
    p.finalize();
    return { body: p as unknown as Readable, dockerfile: 'Dockerfile' };
  }
  const dir = path.resolve(arg);
  const st = await fsp.stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new CliError(1, `unable to prepare context: path "${arg}" not found`);
  let extra: { name: string; data: Buffer } | undefined;
  let dfRel = 'Dockerfile';
  if (file === '-') {
    extra = { name: `.dockerfile.${randomBytes(10).toString('hex')}`, data: await readAll(ctx.stdin) };
    dfRel = extra.name;
  } else if (file) {
    const abs = path.resolve(file);
    const rel = path.relative(dir, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      extra = { name: `.dockerfile.${randomBytes(10).toString('hex')}`, data: await fsp.readFile(abs) };
      dfRel = extra.name;
    } else dfRel = rel.split(path.sep).join('/');
  } else if (!(await fsp.stat(path.join(dir, 'Dockerfile')).catch(() => undefined))) {
    if (await fsp.stat(path.join(dir, 'dockerfile')).catch(() => undefined)) dfRel = 'dockerfile';
    else throw new CliError(1, `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${path.join(dir, 'Dockerfile')}: no such file or directory`);
  }
  return { dir: { dir, dockerfile: dfRel, extra }, dockerfile: dfRel };
}

export async function build(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const progress = (opts.progress as string | undefined) ?? 'auto';
  if (!['auto', 'plain', 'tty', 'quiet'].includes(progress)) throw new CliError(125, `invalid argument "${progress}" for "--progress" flag: must be auto, plain, tty or quiet`);
  const quiet = opts.quiet === true || progress === 'quiet';
  const tty = !quiet && (progress === 'tty' || (progress === 'auto' && !!ctx.stderr.isTTY));
  const c = await context(ctx, args[0]!, opts.file as string | undefined);
  const size = (v: unknown) => (v === undefined ? undefined : ramInBytes(String(v)));
  const client = await clientOf(ctx);
  const query = {
    t: (opts.tag as string[] | undefined) ?? [], dockerfile: c.dockerfile, q: quiet, nocache: opts.cache === false || opts.noCache === true,
    rm: opts.rm !== false, forcerm: opts.forceRm === true, pull: opts.pull === true, remote: c.remote,
    buildargs: JSON.stringify(buildArgs(opts.buildArg as string[] | undefined, ctx.env)), labels: JSON.stringify(labels(opts.label as string[] | undefined)),
    target: opts.target as string | undefined, networkmode: opts.network as string | undefined, extrahosts: (opts.addHost as string[] | undefined) ?? [],
    cachefrom: JSON.stringify((opts.cacheFrom as string[] | undefined) ?? []), platform: opts.platform as string | undefined,
    shmsize: size(opts.shmSize), memory: size(opts.memory), memswap: opts.memorySwap === '-1' ? -1 : size(opts.memorySwap),
    cpushares: opts.cpuShares as string | undefined, cpusetcpus: opts.cpusetCpus as string | undefined,
    cpuperiod: opts.cpuPeriod as string | undefined, cpuquota: opts.cpuQuota as string | undefined, version: '1',
  };
  const res = c.dir
    ? await postDirBuild(client.transport, query, c.dir)
    : await client.transport.request({ method: 'POST', path: '/build', query, rawBody: c.body ?? Buffer.alloc(0), contentType: 'application/x-tar' });
  let id = '';
  let failed: BuildMessage | undefined;
  const view = tty ? new TtyProgress(ctx.stderr) : undefined;
  for await (const m of jsonStream<BuildMessage>(res)) {
    if (m.error || m.errorDetail) {
      failed = m;
      break;
    }
    if (m.aux?.ID) id = m.aux.ID;
    // a quiet build answers with the ID alone, as a stream line (no aux), as the docker CLI reads it
    if (quiet && m.stream && /^sha256:[0-9a-f]{64}\n?$/.test(m.stream)) id = m.stream.trim();
    if (quiet) continue;
    if (view) view.message(m);
    else if (m.stream) await write(ctx.stdout, m.stream);
    else if (m.status) await write(ctx.stdout, `${m.id ? `${m.id}: ` : ''}${m.status}${m.progress ? ` ${m.progress}` : ''}\n`);
  }
  view?.done(!failed);
  if (failed) {
    const msg = failed.errorDetail?.message ?? failed.error ?? 'unknown error';
    const code = failed.errorDetail?.code;
    throw new CliError(code && code > 0 ? code : 1, msg);
  }
  if (opts.iidfile) await fsp.writeFile(opts.iidfile as string, id);
  if (quiet) await write(ctx.stdout, `${id}\n`);
  return 0;
}

export async function builderPrune(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const all = opts.all === true;
  const filters = filtersOf(opts.filter as string[] | undefined, '--filter', 'berth builder prune', '[OPTIONS]');
  const keep = opts.keepStorage as string | undefined;
  if (!opts.force && !(await confirm(ctx, `WARNING! This will remove all ${all ? '' : 'dangling '}build cache.`))) return 0;
  const c = await clientOf(ctx);
  if (keep) {
    const r = await c.transport.json<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>({ method: 'POST', path: '/build/prune', query: { all, 'keep-storage': String(ramInBytes(keep)), filters: JSON.stringify(filters) } });
    await printResults(ctx, [async () => ({ reclaimed: r.SpaceReclaimed, report: r.CachesDeleted?.length ? `Deleted build cache objects:\n${r.CachesDeleted.map((x) => `${x}\n`).join('')}` : '' })]);
    return 0;
  }
  await printResults(ctx, [() => pruneBuildCache(c, filters, all)]);
  return 0;
}
