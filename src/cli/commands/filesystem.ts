/** cp, export, diff, commit: a container's file system (docker/cli's container cp/export/diff/commit). */
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { ContainerFsApi, isDirMode, isSymlinkMode, type ContainerPathStat } from '../../client/filesystem.js';
import { Extractor, readTar, type TarEntry } from '../../containers/fs/extract.js';
import { TreePacker } from '../../containers/fs/pack.js';
import { Scope } from '../../containers/fs/scope.js';
import { isKind } from '../../core/errors.js';
import { humanSize } from '../format/humanize.js';
import { clientOf, write, type Ctx } from '../context.js';
import { CliError } from '../program.js';
import { CopyPlanError, planCopy, rebaseName, specifiesCurrentDir, splitCpArg, splitPathDirEntry, type CopyEnd } from './cpplan.js';

async function fsApi(ctx: Ctx): Promise<ContainerFsApi> {
  return new ContainerFsApi((await clientOf(ctx)).transport);
}

/** A local path's CopyEnd (a symlink destination is followed, as the docker CLI does). */
async function localEnd(p: string): Promise<CopyEnd> {
  const st = await fsp.stat(p).catch(() => undefined);
  return { path: p, exists: !!st, isDir: !!st?.isDirectory() };
}

/** Renames entries as the plan says (names and hardlink targets). */
async function* rebased(entries: AsyncIterable<TarEntry>, r?: { from: string; to: string }): AsyncGenerator<TarEntry> {
  for await (const e of entries) {
    if (r) {
      e.header.name = rebaseName(e.header.name, r.from, r.to);
      if (e.header.type === 'link' && e.header.linkname) e.header.linkname = rebaseName(e.header.linkname, r.from, r.to);
    }
    yield e;
  }
}

async function copyFromContainer(ctx: Ctx, api: ContainerFsApi, container: string, srcPath: string, dst: string, follow: boolean): Promise<void> {
  let from = srcPath;
  let rebaseAs: string | undefined;
  if (follow) {
    const st = await api.statPath(container, srcPath).catch(() => undefined);
    if (st && isSymlinkMode(st.mode)) {
      const target = st.linkTarget.startsWith('/') ? st.linkTarget : path.posix.join(splitPathDirEntry(srcPath)[0], st.linkTarget);
      if (path.posix.basename(srcPath) !== path.posix.basename(target)) rebaseAs = path.posix.basename(srcPath);
      from = target;
    }
  }
  const { stat, content } = await api.getArchive(container, from);
  if (dst === '-') {
    await pipeline(content, ctx.stdout as Writable);
    return;
  }
  const plan = planCopy({ path: from, exists: true, isDir: isDirMode(stat.mode), rebaseName: rebaseAs }, await localEnd(dst));
  const scope = await Scope.open(plan.dir).catch((e: unknown) => {
    content.destroy();
    throw new CliError(1, `${(e as Error).message}`);
  });
  try {
    await new Extractor(scope, scope.rootDir, { noOverwriteDirNonDir: true, noChown: process.getuid?.() !== 0 }).run(rebased(readTar(content), plan.rebase));
  } finally {
    await scope.close();
  }
  if (ctx.stderr.isTTY) await write(ctx.stderr, `Successfully copied ${humanSize(stat.size)} to ${dst}\n`);
}

async function containerEnd(api: ContainerFsApi, container: string, p: string): Promise<{ end: CopyEnd; stat?: ContainerPathStat }> {
  const get = async (q: string) => api.statPath(container, q).catch((e: unknown) => {
    if (isKind(e, 'NotFound')) return undefined;
    throw e;
  });
  let at = p;
  let st = await get(at);
  if (st && isSymlinkMode(st.mode)) {
    at = st.linkTarget.startsWith('/') ? st.linkTarget : path.posix.join(splitPathDirEntry(p)[0], st.linkTarget);
    st = await get(at);
  }
  return { end: { path: at === p ? p : at, exists: !!st, isDir: !!st && isDirMode(st.mode) }, stat: st };
}

async function copyToContainer(ctx: Ctx, api: ContainerFsApi, src: string, container: string, dstPath: string, opts: { follow: boolean; archive: boolean }): Promise<void> {
  const put = (dir: string, body: Readable) => api.putArchive(container, dir, body, { noOverwriteDirNonDir: true, copyUIDGID: opts.archive });
  if (src === '-') {
    await put(dstPath, ctx.stdin as unknown as Readable);
    return;
  }
  let local = src;
  let rebaseAs: string | undefined;
  if (opts.follow && !specifiesCurrentDir(src)) {
    local = await fsp.realpath(src).catch(() => src);
    if (path.basename(local) !== path.basename(src)) rebaseAs = path.basename(src);
  }
  const st = await fsp.lstat(local).catch(() => undefined);
  if (!st) throw new CliError(1, `lstat ${path.resolve(src)}: no such file or directory`);
  const { end: dst } = await containerEnd(api, container, dstPath);
  let plan;
  try {
    plan = planCopy({ path: local, exists: true, isDir: st.isDirectory(), rebaseName: rebaseAs }, dst);
  } catch (e) {
    if (e instanceof CopyPlanError) throw new CliError(1, e.message);
    throw e;
  }
  const dotted = specifiesCurrentDir(src);
  const [srcDir, srcBase] = dotted ? [local, '.'] : splitPathDirEntry(path.resolve(local));
  const scope = await Scope.open(dotted ? local : srcDir);
  const pack = tar.pack();
  const packing = (async () => {
    try {
      const entry = dotted ? await scope.rootEntry() : await scope.child(scope.rootDir, srcBase);
      const name = plan.rebase ? rebaseName(rebaseAs ?? srcBase, plan.rebase.from, plan.rebase.to) : rebaseAs ?? srcBase;
      await new TreePacker(scope, pack).entry(entry, name);
      pack.finalize();
    } catch (e) {
      pack.destroy(e as Error);
    }
  })();
  try {
    await put(plan.dir, Readable.from(pack));
  } finally {
    await packing;
    await scope.close();
  }
  if (ctx.stderr.isTTY) await write(ctx.stderr, `Successfully copied ${humanSize(st.size)} to ${container}:${dstPath}\n`);
}

export async function cp(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const [a = '', b = ''] = args;
  const src = splitCpArg(a);
  const dst = splitCpArg(b);
  if (src.container !== undefined && dst.container !== undefined) throw new CliError(1, 'copying between containers is not supported');
  if (src.container === undefined && dst.container === undefined) throw new CliError(1, 'must specify at least one container source');
  if ((src.container !== undefined && src.path === '') || (dst.container !== undefined && dst.path === '')) throw new CliError(1, 'filepath can not be empty');
  const api = await fsApi(ctx);
  if (src.container !== undefined) await copyFromContainer(ctx, api, src.container, src.path, dst.path, opts.followLink === true);
  else await copyToContainer(ctx, api, src.path, dst.container!, dst.path, { follow: opts.followLink === true, archive: opts.archive === true });
  return 0;
}

export async function exportCmd(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const output = opts.output as string | undefined;
  if (!output && ctx.stdout.isTTY) throw new CliError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const res = await (await fsApi(ctx)).export(args[0]!);
  await pipeline(res, output ? createWriteStream(output) : (ctx.stdout as Writable));
  return 0;
}

export async function diff(ctx: Ctx, args: string[]): Promise<number> {
  const changes = await (await fsApi(ctx)).changes(args[0]!);
  const letter = ['C', 'A', 'D'] as const;
  await write(ctx.stdout, changes.map((c) => `${letter[c.Kind] ?? '?'} ${c.Path}\n`).join(''));
  return 0;
}

export async function commit(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const [container, ref] = args as [string, string | undefined];
  let repo: string | undefined;
  let tag: string | undefined;
  if (ref) {
    const i = ref.lastIndexOf(':');
    if (i > ref.lastIndexOf('/')) [repo, tag] = [ref.slice(0, i), ref.slice(i + 1)];
    else repo = ref;
  }
  const res = await (await fsApi(ctx)).commit(container, {
    repo, tag, author: opts.author as string | undefined, comment: opts.message as string | undefined,
    pause: opts.pause !== false, changes: (opts.change as string[] | undefined) ?? [],
  });
  await write(ctx.stdout, `${res.Id}\n`);
  return 0;
}
