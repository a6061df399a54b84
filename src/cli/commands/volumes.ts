/** volume create/ls/inspect/rm/prune. */
import { describeError } from '../../client/errors.js';
import type { VolumesApi } from '../../client/volumes.js';
import type { Volume } from '../../api/volumes.js';
import { clientOf, write, type Ctx } from '../context.js';
import { humanSize } from '../format/humanize.js';
import { loadRenderer, renderRows } from '../format/template.js';
import { table } from '../format/table.js';
import { sortVolumes, volumeSpec, volumesTable } from '../format/volumes.js';
import { flagValueError, FlagError, mapOpts, validateLabel } from '../opts/network.js';
import { CliError } from '../program.js';
import { confirm } from './lifecycle.js';
import { filtersOf } from './networks.js';

async function volumesOf(ctx: Ctx): Promise<VolumesApi> {
  return (await clientOf(ctx)).volumes;
}

function usageError(path: string, use: string, message: string): CliError {
  return new CliError(125, `${message}\n\nUsage:  ${path} ${use}\n\nRun '${path} --help' for more information`);
}

export async function volumeCreate(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  let name = (opts.name as string | undefined) ?? '';
  if (args.length === 1) {
    if (name !== '') throw new CliError(1, 'conflicting options: cannot specify a volume-name through both --name and as a positional arg');
    name = args[0] as string;
  }
  const labels: string[] = [];
  try {
    for (const l of (opts.label as string[] | undefined) ?? []) {
      try {
        labels.push(validateLabel(l));
      } catch (err) {
        throw flagValueError('--label', l, err);
      }
    }
  } catch (err) {
    if (err instanceof FlagError) throw usageError('berth volume create', '[OPTIONS] [VOLUME]', err.message);
    throw err;
  }
  // docker's field order; DriverOpts and Labels are always sent, empty or not
  const vol = await (await volumesOf(ctx)).create({
    Driver: (opts.driver as string | undefined) ?? 'local',
    DriverOpts: mapOpts(opts.opt as string[] | undefined),
    Labels: mapOpts(labels),
    Name: name,
  });
  await write(ctx.stdout, `${vol.Name}\n`);
  return 0;
}

export async function volumeList(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const filters = filtersOf(opts.filter as string[] | undefined, '-f, --filter', 'berth volume ls', '[OPTIONS]');
  const list = sortVolumes((await (await volumesOf(ctx)).list({ filters })).Volumes);
  const format = (opts.format as string | undefined) ?? '';
  if (format === '' || format === 'table') {
    if (opts.quiet) await write(ctx.stdout, list.map((v) => `${v.Name}\n`).join(''));
    else await write(ctx.stdout, table(volumesTable(list)));
    return 0;
  }
  await write(ctx.stdout, await renderRows(format, list, volumeSpec));
  return 0;
}

/** `volume inspect`: a JSON array indented 4 spaces, or a template per volume; errors after the output. */
export async function volumeInspect(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const api = await volumesOf(ctx);
  const found: Volume[] = [];
  const errors: string[] = [];
  for (const name of args) {
    try {
      found.push(await api.inspect(name));
    } catch (err) {
      errors.push(describeError(err));
    }
  }
  const format = opts.format as string | undefined;
  if (format && format !== 'json') {
    const render = await loadRenderer();
    const tmpl = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
    await write(ctx.stdout, found.map((v) => `${render(tmpl, v)}\n`).join(''));
  } else {
    await write(ctx.stdout, `${found.length === 0 ? '[]' : JSON.stringify(found, null, 4)}\n`);
  }
  if (errors.length > 0) throw new CliError(1, errors.join('\n'));
  return 0;
}

/** `volume rm`: every name is tried; the removed ones are printed, the errors after them (status 1). */
export async function volumeRemove(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const api = await volumesOf(ctx);
  const errors: string[] = [];
  for (const name of args) {
    try {
      await api.remove(name, opts.force === true);
    } catch (err) {
      errors.push(describeError(err));
      continue;
    }
    await write(ctx.stdout, `${name}\n`);
  }
  if (errors.length > 0) throw new CliError(1, errors.join('\n'));
  return 0;
}

export const PRUNE_WARNING = 'WARNING! This will remove anonymous local volumes not used by at least one container.';
export const PRUNE_ALL_WARNING = 'WARNING! This will remove all local volumes not used by at least one container.';

export async function volumePrune(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const filters = filtersOf(opts.filter as string[] | undefined, '--filter', 'berth volume prune', '[OPTIONS]');
  let warning = PRUNE_WARNING;
  if (opts.all === true) {
    if (filters.all) throw new CliError(1, 'conflicting options: cannot specify both --all and --filter all=1');
    filters.all = ['true'];
    warning = PRUNE_ALL_WARNING;
  }
  // docker 28: answering no cancels quietly (status 0)
  if (!opts.force && !(await confirm(ctx, warning))) return 0;
  const res = await (await volumesOf(ctx)).prune(filters);
  let out = '';
  let reclaimed = 0;
  if (res.VolumesDeleted.length > 0) {
    // the report is printed with Println, hence the blank line after it
    out += `Deleted Volumes:\n${res.VolumesDeleted.map((n) => `${n}\n`).join('')}\n`;
    reclaimed = res.SpaceReclaimed;
  }
  await write(ctx.stdout, `${out}Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}
