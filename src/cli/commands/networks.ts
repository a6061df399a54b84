/** network create/ls/rm/prune/connect/disconnect/diagram, and `port` (network inspect is inspect.ts). */
import { writeFileSync } from 'node:fs';
import type { ContainerInspect } from '../../api/types.js';
import { DaemonError, describeError } from '../../client/errors.js';
import type { Filters } from '../../client/filters.js';
import { diagramInput, renderDiagramSvg, renderDiagramText } from '../../network/diagram.js';
import { clientOf, write, type Ctx } from '../context.js';
import { networkSpec, networksTable, portLines, portLookup, sortNetworks } from '../format/networks.js';
import { truncateId } from '../format/humanize.js';
import { table } from '../format/table.js';
import { renderRows } from '../format/template.js';
import { buildConnectEndpoint, buildNetworkCreate, FlagError, type NetworkConnectFlags, type NetworkCreateFlags } from '../opts/network.js';
import { CliError } from '../program.js';
import { confirm } from './lifecycle.js';

/** docker's flag error (cobra FlagErrorFunc): the message, the usage line, status 125. */
function usageError(path: string, use: string, message: string): CliError {
  return new CliError(125, `${message}\n\nUsage:  ${path} ${use}\n\nRun '${path} --help' for more information`);
}

/** docker's FilterOpt: `name=value` (name lower-cased, both trimmed), empty flags ignored. */
export function filtersOf(values: readonly string[] | undefined, flag: string, path: string, use: string): Filters {
  const out: Filters = {};
  for (const v of values ?? []) {
    if (v === '') continue;
    const i = v.indexOf('=');
    if (i < 0) throw usageError(path, use, `invalid argument "${v}" for "${flag}" flag: bad format of filter (expected name=value)`);
    const k = v.slice(0, i).trim().toLowerCase();
    const val = v.slice(i + 1).trim();
    const list = (out[k] ??= []);
    if (!list.includes(val)) list.push(val);
  }
  return out;
}

export async function networkCreate(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const name = args[0] as string;
  let body;
  try {
    body = buildNetworkCreate(name, opts as NetworkCreateFlags);
  } catch (err) {
    if (err instanceof FlagError) throw usageError('berth network create', '[OPTIONS] NETWORK', err.message);
    throw new CliError(1, (err as Error).message);
  }
  const res = await (await clientOf(ctx)).networks.create(body);
  await write(ctx.stdout, `${res.Id}\n`);
  return 0;
}

export async function networkList(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const filters = filtersOf(opts.filter as string[] | undefined, '-f, --filter', 'berth network ls', '[OPTIONS]');
  const list = sortNetworks((await (await clientOf(ctx)).networks.list({ filters })) ?? []);
  const trunc = opts.trunc !== false;
  const format = (opts.format as string | undefined) ?? '';
  if (format === '' || format === 'table') {
    if (opts.quiet) await write(ctx.stdout, list.map((n) => `${trunc ? truncateId(n.Id) : n.Id}\n`).join(''));
    else await write(ctx.stdout, table(networksTable(list, trunc)));
    return 0;
  }
  await write(ctx.stdout, await renderRows(format, list, networkSpec(trunc)));
  return 0;
}

export async function networkRemove(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const client = await clientOf(ctx);
  let status = 0;
  for (const name of args) {
    try {
      await client.networks.remove(name);
    } catch (err) {
      if (opts.force === true && err instanceof DaemonError && err.kind === 'NotFound') continue;
      await write(ctx.stderr, `${describeError(err)}\n`);
      status = 1;
      continue;
    }
    await write(ctx.stdout, `${name}\n`);
  }
  return status;
}

export const PRUNE_WARNING = 'WARNING! This will remove all custom networks not used by at least one container.';

export async function networkPrune(ctx: Ctx, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const filters = filtersOf(opts.filter as string[] | undefined, '--filter', 'berth network prune', '[OPTIONS]');
  // docker 28: answering no cancels quietly (status 0)
  if (!opts.force && !(await confirm(ctx, PRUNE_WARNING))) return 0;
  const res = await (await clientOf(ctx)).networks.prune(filters);
  const deleted = res?.NetworksDeleted ?? [];
  // docker prints the report with Println, hence the blank line after it
  if (deleted.length > 0) await write(ctx.stdout, `Deleted Networks:\n${deleted.map((id) => `${id}\n`).join('')}\n`);
  return 0;
}

export async function networkConnect(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const [network, container] = args as [string, string];
  let ep;
  try {
    ep = buildConnectEndpoint(opts as NetworkConnectFlags);
  } catch (err) {
    if (err instanceof FlagError) throw usageError('berth network connect', '[OPTIONS] NETWORK CONTAINER', err.message);
    throw new CliError(1, (err as Error).message);
  }
  await (await clientOf(ctx)).networks.connect(network, container, ep);
  return 0;
}

export async function networkDisconnect(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const [network, container] = args as [string, string];
  await (await clientOf(ctx)).networks.disconnect(network, container, opts.force === true);
  return 0;
}

/** `network diagram NETWORK [--svg FILE]`: the text topology on stdout, the picture in FILE. */
export async function networkDiagram(ctx: Ctx, args: string[], opts: Record<string, unknown>): Promise<number> {
  const client = await clientOf(ctx);
  const network = await client.networks.inspect(args[0] as string);
  const inspects = new Map<string, ContainerInspect>();
  for (const id of Object.keys(network.Containers ?? {})) {
    try {
      inspects.set(id, await client.containers.inspect(id));
    } catch (err) {
      // gone since the network was read, or an endpoint that is no container: no ports to show
      if (!(err instanceof DaemonError && err.kind === 'NotFound')) throw err;
    }
  }
  const input = diagramInput(network, inspects);
  await write(ctx.stdout, renderDiagramText(input));
  const svg = opts.svg as string | undefined;
  if (svg !== undefined) {
    if (svg === '') throw new CliError(1, 'berth: --svg needs a file name');
    writeFileSync(svg, renderDiagramSvg(input));
  }
  return 0;
}

/** `port CONTAINER [PRIVATE_PORT[/PROTO]]`. */
export async function port(ctx: Ctx, args: string[]): Promise<number> {
  const [container, spec] = args as [string, string | undefined];
  const info = await (await clientOf(ctx)).containers.inspect(container);
  const ports = info.NetworkSettings?.Ports;
  let out: string[];
  if (spec) {
    try {
      out = portLookup(ports, spec, container);
    } catch (err) {
      throw new CliError(1, (err as Error).message);
    }
  } else out = portLines(ports);
  if (out.length > 0) await write(ctx.stdout, `${out.join('\n')}\n`);
  return 0;
}
