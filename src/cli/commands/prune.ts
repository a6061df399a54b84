/**
 * `container prune` and `system prune`, as the docker CLI (v28) runs them: system prune validates, asks
 * once, then prunes containers, networks, volumes (with --volumes), images and the build cache in that
 * order, printing each report as it comes and the total reclaimed space at the end.
 */
import type { BerthClient } from '../../client/client.js';
import type { Filters } from '../../client/filters.js';
import { clientOf, write, type Ctx } from '../context.js';
import { humanSize } from '../format/humanize.js';
import { CliError } from '../program.js';
import { confirm } from './lifecycle.js';
import { filtersOf } from './networks.js';

/** What one pruner did: the space it freed and its report ('' when it removed nothing). */
export interface PruneResult {
  reclaimed: number;
  report: string;
}

/** "Deleted <What>:" and one line per item; space counts only when something was removed (as docker). */
function listed(title: string, items: string[] | null | undefined, reclaimed = 0): PruneResult {
  if (!items || items.length === 0) return { reclaimed: 0, report: '' };
  return { reclaimed, report: `${title}:\n${items.map((i) => `${i}\n`).join('')}` };
}

export async function pruneContainers(c: BerthClient, filters: Filters): Promise<PruneResult> {
  const r = await c.containers.prune(filters);
  return listed('Deleted Containers', r.ContainersDeleted, r.SpaceReclaimed);
}

export async function pruneNetworks(c: BerthClient, filters: Filters): Promise<PruneResult> {
  return listed('Deleted Networks', (await c.networks.prune(filters))?.NetworksDeleted);
}

export async function pruneVolumes(c: BerthClient, filters: Filters): Promise<PruneResult> {
  const r = await c.volumes.prune(filters);
  return listed('Deleted Volumes', r.VolumesDeleted, r.SpaceReclaimed);
}

export async function pruneImages(c: BerthClient, filters: Filters, all: boolean): Promise<PruneResult> {
  const r = await c.images.prune({ ...filters, dangling: [all ? 'false' : 'true'] });
  const lines = (r.ImagesDeleted ?? []).flatMap((d) => [...(d.Untagged ? [`untagged: ${d.Untagged}`] : []), ...(d.Deleted ? [`deleted: ${d.Deleted}`] : [])]);
  return listed('Deleted Images', lines.length ? lines : null, r.SpaceReclaimed);
}

export async function pruneBuildCache(c: BerthClient, filters: Filters, all: boolean): Promise<PruneResult> {
  const r = await c.buildPrune({ all, filters });
  return listed('Deleted build cache objects', r.CachesDeleted, r.SpaceReclaimed);
}

/** Each report is printed with Println (hence the blank line after it), then the total. */
export async function printResults(ctx: Ctx, run: Array<() => Promise<PruneResult>>): Promise<void> {
  let total = 0;
  for (const step of run) {
    const r = await step();
    total += r.reclaimed;
    if (r.report) await write(ctx.stdout, `${r.report}\n`);
  }
  await write(ctx.stdout, `Total reclaimed space: ${humanSize(total)}\n`);
}

export const CONTAINER_PRUNE_WARNING = 'WARNING! This will remove all stopped containers.';

export async function containerPrune(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const filters = filtersOf(opts.filter as string[] | undefined, '--filter', 'berth container prune', '[OPTIONS]');
  // docker 28: answering no cancels quietly (status 0)
  if (!opts.force && !(await confirm(ctx, CONTAINER_PRUNE_WARNING))) return 0;
  const c = await clientOf(ctx);
  await printResults(ctx, [() => pruneContainers(c, filters)]);
  return 0;
}

/** docker's system prune prompt: what goes, and the filters that narrow it (sorted). */
export function systemPruneWarning(opts: { all: boolean; volumes: boolean }, filters: Filters): string {
  const items = ['all stopped containers', 'all networks not used by at least one container'];
  if (opts.volumes) items.push('all anonymous volumes not used by at least one container');
  items.push(opts.all ? 'all images without at least one container associated to them' : 'all dangling images');
  items.push(opts.all ? 'all build cache' : 'unused build cache');
  let msg = `WARNING! This will remove:\n${items.map((i) => `  - ${i}\n`).join('')}`;
  const shown = ['label', 'label!', 'until'].flatMap((k) => (filters[k] ?? []).map((v) => `${k}=${v}`)).sort();
  if (shown.length) msg += `\n  Items to be pruned will be filtered with:\n${shown.map((f) => `  - ${f}\n`).join('')}`;
  return msg;
}

export async function systemPrune(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const filters = filtersOf(opts.filter as string[] | undefined, '--filter', 'berth system prune', '[OPTIONS]');
  const all = opts.all === true;
  const volumes = opts.volumes === true;
  if (volumes && filters.until) throw new CliError(1, 'ERROR: The "until" filter is not supported with "--volumes"');
  if (!opts.force && !(await confirm(ctx, systemPruneWarning({ all, volumes }, filters)))) return 0;
  const c = await clientOf(ctx);
  await printResults(ctx, [
    () => pruneContainers(c, filters),
    () => pruneNetworks(c, filters),
    ...(volumes ? [() => pruneVolumes(c, filters)] : []),
    () => pruneImages(c, filters, all),
    () => pruneBuildCache(c, filters, all),
  ]);
  return 0;
}
