/** images, tag, rmi, import, load, save, image prune. */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { JSONMessage } from '../../api/types.js';
import { describeError } from '../../client/errors.js';
import { parseFilters } from '../../client/filters.js';
import { clientOf, write, type Ctx } from '../context.js';
import { humanSize } from '../format/humanize.js';
import { ProgressPrinter } from '../format/progress.js';
import { HISTORY_HEADERS, historyContext, historyTable, imageRows, imageSpec, imagesTable } from '../format/images.js';
import { table } from '../format/table.js';
import { renderRows } from '../format/template.js';
import { CliError } from '../program.js';
import { confirm } from './lifecycle.js';
import { filtersOf } from './networks.js';
import { printResults, pruneImages } from './prune.js';

export async function images(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const client = await clientOf(ctx);
  let filters;
  try {
    filters = parseFilters((opts.filter as string[] | undefined) ?? []);
  } catch (err) {
    throw new CliError(125, `invalid argument for "-f, --filter" flag: ${(err as Error).message}`);
  }
  if (args[0]) (filters.reference ??= []).push(args[0]);
  const list = await client.images.list({ all: opts.all === true, filters });
  const trunc = opts.trunc !== false;
  const digests = opts.digests === true;
  if (opts.quiet) {
    const seen = new Set<string>();
    let out = '';
    for (const img of list) {
      const id = trunc ? img.Id.replace(/^sha256:/, '').slice(0, 12) : img.Id;
      if (!seen.has(id)) out += `${id}\n`;
      seen.add(id);
    }
    await write(ctx.stdout, out);
    return 0;
  }
  const rows = imageRows(list, digests);
  const format = (opts.format as string | undefined) ?? '';
  if (format === '' || format === 'table') await write(ctx.stdout, table(imagesTable(rows, { trunc, digests })));
  else await write(ctx.stdout, await renderRows(format, rows, imageSpec(trunc)));
  return 0;
}

/** "repo:tag" -> [repo, tag], tag "latest" when absent. */
export async function history(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const items = await (await clientOf(ctx)).images.history(args[0]!);
  const trunc = opts.trunc !== false;
  const human = opts.human !== false;
  if (opts.quiet) {
    await write(ctx.stdout, items.map((h) => `${h.Id === '<missing>' || !trunc ? h.Id : h.Id.replace(/^sha256:/, '').slice(0, 12)}\n`).join(''));
    return 0;
  }
  const format = (opts.format as string | undefined) ?? '';
  if (format === '' || format === 'table') await write(ctx.stdout, table(historyTable(items, { trunc, human })));
  else await write(ctx.stdout, await renderRows(format, items, { headers: HISTORY_HEADERS, context: (h) => historyContext(h, { trunc, human }) }));
  return 0;
}

export function splitRef(ref: string): [string, string] {
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, 'latest'];
}

export async function tag(ctx: Ctx, args: string[]): Promise<number> {
  const [source, target] = args as [string, string];
  const [repo, t] = splitRef(target);
  await (await clientOf(ctx)).images.tag(source, repo, t);
  return 0;
}

export async function rmi(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const client = await clientOf(ctx);
  const errors: string[] = [];
  for (const name of args) {
    try {
      const items = await client.images.remove(name, { force: opts.force === true, noprune: opts.prune === false });
      let out = '';
      for (const it of items ?? []) {
        if (it.Untagged) out += `Untagged: ${it.Untagged}\n`;
        if (it.Deleted) out += `Deleted: ${it.Deleted}\n`;
      }
      await write(ctx.stdout, out);
    } catch (err) {
      errors.push(describeError(err));
    }
  }
  if (errors.length > 0) throw new CliError(1, errors.join('\n'));
  return 0;
}

/** Prints a progress stream as docker's jsonmessage does (bars redrawn in place on a terminal). */
export async function displayMessages(ctx: Ctx, msgs: AsyncIterable<JSONMessage>, quiet = false): Promise<void> {
  let written: Promise<void> = Promise.resolve();
  const printer = new ProgressPrinter((s) => { written = write(ctx.stdout, s); }, ctx.stdout.isTTY === true, ctx.stdout.columns ?? 80);
  for await (const m of msgs) {
    if (!quiet) printer.show(m);
  }
  await written;
}

export async function importImage(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const [source, ref] = args as [string, string | undefined];
  if (/^https?:\/\//.test(source)) throw new CliError(1, 'importing from a URL is not supported');
  const client = await clientOf(ctx);
  const input = source === '-' ? ctx.stdin : createReadStream(source);
  const msgs = await client.images.import(input, {
    repo: ref,
    tag: '',
    changes: (opts.change as string[] | undefined) ?? [],
    message: opts.message as string | undefined,
    platform: opts.platform as string | undefined,
  });
  await displayMessages(ctx, msgs);
  return 0;
}

export async function load(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const file = opts.input as string | undefined;
  if (!file && ctx.stdin.isTTY) throw new CliError(1, 'requested load from stdin, but stdin is empty');
  const client = await clientOf(ctx);
  const msgs = await client.images.load(file ? createReadStream(file) : ctx.stdin, { quiet: opts.quiet === true });
  await displayMessages(ctx, msgs);
  return 0;
}

export async function save(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const file = opts.output as string | undefined;
  if (!file && ctx.stdout.isTTY) throw new CliError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const client = await clientOf(ctx);
  const tar = await client.images.save(args);
  await pipeline(tar, file ? createWriteStream(file) : ctx.stdout, { end: !!file });
  return 0;
}

export async function imagePrune(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const all = opts.all === true;
  const warning = all
    ? 'WARNING! This will remove all images without at least one container associated to them.'
    : 'WARNING! This will remove all dangling images.';
  const filters = filtersOf(opts.filter as string[] | undefined, '--filter', 'berth image prune', '[OPTIONS]');
  // docker 28: answering no cancels quietly (status 0)
  if (!opts.force && !(await confirm(ctx, warning))) return 0;
  const c = await clientOf(ctx);
  await printResults(ctx, [() => pruneImages(c, filters, all)]);
  return 0;
}
