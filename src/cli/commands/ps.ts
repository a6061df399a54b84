/** `ps` / `container ls`. */
import { parseFilters } from '../../client/filters.js';
import { clientOf, write, type Ctx } from '../context.js';
import { psSpec, psTable } from '../format/containers.js';
import { table } from '../format/table.js';
import { renderRows } from '../format/template.js';
import { CliError } from '../program.js';

export async function ps(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const client = await clientOf(ctx);
  let limit: number | undefined;
  if (opts.last !== undefined) {
    const s = String(opts.last);
    if (!/^-?\d+$/.test(s)) throw new CliError(125, `invalid argument "${s}" for "-n, --last" flag: strconv.ParseInt: parsing "${s}": invalid syntax`);
    limit = Number.parseInt(s, 10);
  }
  if (opts.latest) limit = 1;
  const format = (opts.format as string | undefined) ?? '';
  const size = opts.size === true || (format !== '' && format.includes('.Size'));
  let filters;
  try {
    filters = parseFilters((opts.filter as string[] | undefined) ?? []);
  } catch (err) {
    throw new CliError(125, `invalid argument for "-f, --filter" flag: ${(err as Error).message}`);
  }
  const list = await client.containers.list({
    all: opts.all === true || (limit !== undefined && limit > 0),
    limit,
    size,
    filters,
  });
  const trunc = opts.trunc !== false;
  if (opts.quiet) {
    await write(ctx.stdout, list.map((c) => `${trunc ? c.Id.slice(0, 12) : c.Id}\n`).join(''));
    return 0;
  }
  if (format === '' || format === 'table') {
    await write(ctx.stdout, table(psTable(list, { trunc, size: opts.size === true })));
    return 0;
  }
  await write(ctx.stdout, await renderRows(format, list, psSpec(trunc)));
  return 0;
}
